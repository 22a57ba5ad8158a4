/**
 * Where the code of a posix worker thread comes from (copy-pool.ts, credentialed-fs.ts). A module of its
 * own so both pools share it without one loading the other's machinery.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const bundled = new Map<string, string>();

/**
 * The code of a posix worker thread (`copy-worker`, `fs-op-worker`). From compiled JavaScript: the
 * sibling `<name>.js`. From TypeScript sources (`node --import tsx`, how Barge runs today): one CommonJS
 * bundle made with esbuild on first use and run as an eval worker. Why not a worker loading tsx: Node 20
 * workers ignore `--import tsx`, and a worker registering tsx itself costs ~35 MiB and ~300 ms of CPU,
 * against ~10 MiB and a 40 ms bundle made once.
 */
export function workerSource(name: 'copy-worker' | 'fs-op-worker' = 'copy-worker'): { readonly code: URL | string; readonly eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { code: new URL(`./${name}.js`, import.meta.url), eval: false };
  let code = bundled.get(name);
  if (code === undefined) {
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const entry = new URL(`./${name}.ts`, import.meta.url);
    const out = esbuild.buildSync({
      entryPoints: [fileURLToPath(entry)],
      bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent',
      // Native code stays a package loaded at run time, resolved from the sources' own location.
      external: ['koffi'], define: { 'import.meta.url': JSON.stringify(entry.href) },
    });
    code = out.outputFiles[0]!.text;
    bundled.set(name, code);
  }
  return { code, eval: true };
}
