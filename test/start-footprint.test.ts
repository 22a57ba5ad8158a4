/**
 * What the compiled server loads at start (issue #14: ≤ 300 MiB at 1,000,000 files). Each thread of
 * `npm start` (the API's and the engine's) pays for every module it loads — the S3 and Azure SDKs,
 * bullmq and ioredis cost ~25 MiB of resident memory each per thread, pg ~15 — so libraries that only some
 * installations use are loaded on first use. esbuild hoists an external package's static import to
 * the top of the bundle even from a module reached by a dynamic `import()`, which silently undid that
 * until the build split its chunks (session 8: 241 → 169 MiB idle). This follows the static imports of
 * each compiled entry point through its chunks — the API's and the engine's threads, a copy worker, the
 * walk's file thread — and checks that none of those libraries is among them (hash-wasm: seven
 * isolates parsed its WebAssembly-carrying module for copies that never hash in JavaScript).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compiledServer } from '../scripts/compiled-server.js';

/** Packages loaded only when a storage or transport needs them. */
const ON_FIRST_USE = [/^@aws-sdk\//, /^@smithy\//, /^@azure\//, /^bullmq$/, /^ioredis$/, /^quickjs-emscripten/, /^pg$/, /^hash-wasm$/];

/** The packages a compiled file loads at start: its static imports and those of the chunks it statically imports. */
function staticPackages(file: string, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(file)) return out;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  // Static imports only: `import … from "x"` / `import "x"` at the start of a line (dynamic ones are `import("x")`).
  for (const m of text.matchAll(/^import(?:[^'"()]*?from)?\s*["']([^"']+)["'];?$/gm)) {
    const spec = m[1] as string;
    if (spec.startsWith('./')) for (const p of staticPackages(join(dirname(file), spec), seen)) out.add(p);
    else if (!spec.startsWith('node:')) out.add(spec);
  }
  return out;
}

describe('compiled server: what each thread loads at start', () => {
  const main = compiledServer('footprint');
  for (const entry of ['main.js', 'engine-thread.js', 'copy-worker.js', 'fs-op-worker.js']) {
    it(`${entry} loads the S3/Azure SDKs, bullmq, ioredis, pg, QuickJS and hash-wasm only on first use`, () => {
      const packages = [...staticPackages(join(dirname(main), entry))];
      if (entry === 'main.js' || entry === 'engine-thread.js') assert.ok(packages.includes('kysely') && packages.includes('pino'), `the walk follows the chunks: ${packages.join(', ')}`);
      assert.deepEqual(packages.filter((p) => ON_FIRST_USE.some((re) => re.test(p))), []);
    });
  }
});
