// The layer rules of DESIGN.md, read off the import graph of src/**/*.ts: no import cycle,
// no import up the stack, no node:* (nor any package) below src/node. The build already
// refuses a Node global or an undeclared layer below src/node (per-layer tsconfig.json
// without @types/node, tsc -b with references); this test names the offending file and
// also catches what the compiler allows, such as cycles and type-only upward imports.
// test/web/client.test.js separately scans the built dist/web graph for Buffer/process.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');

// Bottom to top. A layer may import itself and the layers listed for it, nothing else.
// Each is a directory src/<layer>/ with a tsconfig.json whose references say the same.
const MAY_IMPORT = {
  backend: ['backend'],
  codec: ['backend', 'codec'],
  protocol: ['backend', 'codec', 'protocol'],
  web: ['backend', 'codec', 'protocol', 'web'],
  node: ['backend', 'codec', 'protocol', 'web', 'node'],
  // Above node, Node only: 'wscodec/topics', then the chat demo, then the command that runs it.
  topics: ['backend', 'codec', 'protocol', 'node', 'topics'],
  demos: ['backend', 'codec', 'protocol', 'node', 'topics', 'demos'],
  cli: ['backend', 'codec', 'protocol', 'node', 'topics', 'demos', 'cli'],
};

// The layers that run on Node only: node:* modules and packages (ioredis) are theirs.
const NODE_LAYERS = ['node', 'topics', 'demos', 'cli'];

// Files directly in src/ are package entries; the ones listed here load src/node (and so
// Node) and belong to the node layer. A new top-level file must be added here on purpose.
const TOP_LEVEL = {
  'index.ts': 'node', // 'wscodec': the ws-compatible Node API
  'codec-node.ts': 'node', // 'wscodec/codec' on Node: loads the native/wasm kernels first
};

// Import cycles allowed for now. Each entry is one import, [importer, imported], that
// closes a cycle; the cycle check leaves exactly these imports out, so any other cycle
// fails, even one through the same files. An entry whose import no longer closes a cycle
// fails too: delete it when its cycle is gone. (Empty: the handshakes, the server and
// broadcast reach a WebSocket's plumbing through src/node/websocket-internals.ts, which
// imports none of them, and ws's statics on WebSocket are typed in src/index.ts.)
const KNOWN_CYCLE_IMPORTS = [];

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier in a TypeScript file: import/export ... from, import 'x', import('x'). */
function specifiersOf(source) {
  // Comments may mention imports; code may not hide any. (No string in src/ holds "/*".)
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [
    // Also `import type`, `export type`, `export * from`, and imports spread over lines.
    ...code.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm),
    ...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    // Dynamic imports and `typeof import('./x.js')` in types.
    ...code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]);
}

function layerOf(rel) {
  const [first, ...rest] = rel.split('/').slice(1); // drop 'src'
  if (rest.length === 0) return TOP_LEVEL[first];
  return first in MAY_IMPORT ? first : undefined;
}

/** A relative specifier as tsc resolves it here: './x.js' is './x.ts'. */
function resolveRelative(fromFile, spec) {
  const base = resolve(dirname(fromFile), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.d.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && c.endsWith('.ts'));
}

function buildGraph() {
  const files = sourceFiles(SRC)
    .map((f) => relative(ROOT, f).split('\\').join('/'))
    .sort();
  const edges = new Map(); // file -> Set of files it imports
  const packages = new Map(); // file -> bare specifiers (node:* and packages)
  const unresolved = [];
  for (const file of files) {
    edges.set(file, new Set());
    packages.set(file, []);
    for (const spec of specifiersOf(readFileSync(join(ROOT, file), 'utf8'))) {
      if (!spec.startsWith('.')) {
        packages.get(file).push(spec);
        continue;
      }
      const target = resolveRelative(join(ROOT, file), spec);
      if (target === undefined) unresolved.push(`${file} imports ${spec}, which is no file in src/`);
      else edges.get(file).add(relative(ROOT, target).split('\\').join('/'));
    }
  }
  return { files, edges, packages, unresolved };
}

/** Tarjan's strongly connected components; the ones with a cycle in them. */
function cyclicComponents(edges) {
  let index = 0;
  const indexOf = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const visit = (v) => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), indexOf.get(w)));
      }
    }
    if (low.get(v) === indexOf.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.get(v).has(v)) components.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!indexOf.has(v)) visit(v);
  return components;
}

function reaches(edges, from, to) {
  const seen = new Set([from]);
  const todo = [from];
  while (todo.length > 0) {
    for (const w of edges.get(todo.pop()) ?? []) {
      if (w === to) return true;
      if (!seen.has(w)) {
        seen.add(w);
        todo.push(w);
      }
    }
  }
  return false;
}

/** One cycle through the component's first file, as a readable path a → b → a. */
function cyclePath(component, edges) {
  const members = new Set(component);
  const start = component[0];
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of edges.get(v)) {
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = previous.get(u)) path.splice(1, 0, u);
        return [...path, start].join(' → ');
      }
      if (members.has(w) && !previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return component.join(', ');
}

describe('layers of src/ (DESIGN.md: backend → codec → protocol → node/web)', () => {
  const { files, edges, packages, unresolved } = buildGraph();

  test('the graph was read: every file has a layer, every relative import a file', () => {
    assert.ok(files.length >= 40, `found ${files.length} files under src/`);
    assert.ok(edges.get('src/protocol/connection.ts').has('src/codec/decoder.ts'), 'a known edge is seen');
    assert.ok(edges.get('src/codec-node.ts').has('src/node/load-backends.ts'), 'a side-effect import is seen');
    assert.deepEqual(
      files.filter((f) => layerOf(f) === undefined),
      [],
      'files outside the layers (a new top-level file goes into TOP_LEVEL of this test)',
    );
    assert.deepEqual(unresolved, []);
  });

  test('no import goes up the stack', () => {
    const upward = [];
    for (const [file, targets] of edges) {
      const from = layerOf(file);
      for (const target of targets) {
        const to = layerOf(target);
        if (!MAY_IMPORT[from]?.includes(to)) upward.push(`${file} (${from}) imports ${target} (${to})`);
      }
    }
    assert.deepEqual(upward, []);
  });

  test('node:* modules, and packages at all, only in the Node layers', () => {
    const misplaced = [];
    for (const [file, specs] of packages) {
      if (NODE_LAYERS.includes(layerOf(file))) continue;
      for (const spec of specs) {
        misplaced.push(
          spec.startsWith('node:')
            ? `${file} imports ${spec}: only ${NODE_LAYERS.map((l) => `src/${l}`).join(', ')} and the Node entries may use Node`
            : // A plain <script type="module"> loads dist/codec and dist/web: no bare specifiers.
              `${file} imports the package ${spec}: the layers below node have no dependencies`,
        );
      }
    }
    assert.deepEqual(misplaced, []);
  });

  test('no import cycle but the known ones, and each of those still closes a cycle', () => {
    const isKnown = (from, to) => KNOWN_CYCLE_IMPORTS.some(([a, b]) => a === from && b === to);
    const rest = new Map([...edges].map(([file, targets]) => [file, new Set([...targets].filter((t) => !isKnown(file, t)))]));
    const cycles = cyclicComponents(rest).map(
      (c) => `cycle: ${cyclePath(c, rest)}${c.length > 2 ? ` (all of ${c.join(', ')} are tangled)` : ''}`,
    );
    const stale = KNOWN_CYCLE_IMPORTS.filter(([from, to]) => !edges.get(from)?.has(to) || !reaches(edges, to, from)).map(
      ([from, to]) => `KNOWN_CYCLE_IMPORTS: ${from} → ${to} closes no cycle any more: delete the entry`,
    );
    assert.deepEqual([...cycles, ...stale], []);
  });

  test('the build says the same: each layer a tsconfig project referencing only what it may import', () => {
    /** tsconfig.json is JSON with whole-line // comments. */
    const readConfig = (path) => JSON.parse(readFileSync(path, 'utf8').replace(/^\s*\/\/.*$/gm, ''));
    const wrong = [];
    for (const [layer, allowed] of Object.entries(MAY_IMPORT)) {
      const config = join(SRC, layer, 'tsconfig.json');
      if (!existsSync(config)) {
        wrong.push(`src/${layer} has no tsconfig.json`);
        continue;
      }
      for (const { path } of readConfig(config).references ?? []) {
        const target = relative(SRC, resolve(SRC, layer, path));
        if (!allowed.includes(target)) wrong.push(`src/${layer}/tsconfig.json references ${path}, which ${layer} may not import`);
      }
    }
    // `npm run build:ts` builds the root project's references: every layer must be among them.
    const built = (readConfig(join(ROOT, 'tsconfig.json')).references ?? []).map(({ path }) => relative(SRC, resolve(ROOT, path)));
    for (const layer of Object.keys(MAY_IMPORT)) if (!built.includes(layer)) wrong.push(`tsconfig.json does not build src/${layer}`);
    assert.deepEqual(wrong, []);
  });
});
