#!/usr/bin/env node
// Compiles the server for `npm start`: src/main.ts, the engine's thread, the posix copy worker, the posix credentialed file thread (fs-op-worker) and the callback sandbox's thread, each bundled into one
// ESM file under dist/server/ (npm packages stay imports from node_modules). Why compile rather than
// run the sources through tsx: tsx's loader thread and the transpiled sources cost ~40 MiB of
// resident memory and start-up CPU in a process meant to run for months.
//   node scripts/build-server.mjs [outdir]     (default dist/server; must be inside the package, so
//                                               that node_modules and package.json are found above it)
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = process.argv[2] ?? 'dist/server';
const started = Date.now();
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/main.ts', 'engine-thread': 'src/engine-thread.ts', 'copy-worker': 'src/storage/posix/copy-worker.ts', 'fs-op-worker': 'src/storage/posix/fs-op-worker.ts', 'callback-worker': 'src/engine/callbacks/sandbox-worker.ts' },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  splitting: true,
  logLevel: 'warning',
});
console.log(`server compiled into ${outdir} in ${Date.now() - started} ms`);
