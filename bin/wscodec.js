#!/usr/bin/env node
// The `wscodec` command; everything lives in dist/cli/main.js (src/cli/main.ts).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err) => {
    console.error(`wscodec: ${err instanceof Error ? err.message : err}`);
    process.exitCode = 1;
  },
);
