// ESLint flat config (`npm run lint`). Formatting is Prettier's job (`prettier --check .`),
// so only correctness rules are enabled here: @eslint/js and typescript-eslint
// "recommended" (syntactic, not type-checked, to stay fast).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const unusedVars = ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'build/',
      'conformance/report/',
      'bench/results/',
      'fuzz/findings/',
      '.tmp/',
      // AssemblyScript (i32, unchecked(), @inline): compiled by asc, not tsc.
      'assembly/',
    ],
  },
  js.configs.recommended,
  {
    rules: {
      'no-unused-vars': unusedVars,
      // The catch blocks it flags fold the caught error's message into a new, more specific
      // one on purpose; adding `cause` would change the thrown objects, so not done in a lint pass.
      'preserve-caught-error': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: { ...globals.node },
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    // Node scripts whose page.evaluate() callbacks and worker code run in a browser.
    files: ['bench/browser.js', 'test/interop/browser.test.js', 'test/web/**/*.js', 'examples/**/*.js'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'test/**/*.cts'],
    extends: [tseslint.configs.recommended],
    rules: {
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': unusedVars,
    },
  },
  {
    // ws@8 compatibility surfaces: ws types its listeners as (...args: any[]) and takes any
    // listener in addEventListener; these shims mirror those signatures.
    files: ['src/node/websocket.ts', 'src/node/event-target.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
