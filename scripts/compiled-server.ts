/**
 * The compiled server (`scripts/build-server.mjs`), what `npm start` runs, built once per process
 * into its own directory under dist/ (test files run in parallel processes) and removed at exit.
 * Why tests and benchmarks use it: a Barge child process must run the way users run it — the bundled
 * main and its separately compiled copy worker, not the TypeScript sources through tsx.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let built: string | undefined;

/** Path of the compiled `main.js` (building it on first call into `dist/<tag>-<pid>`). */
export function compiledServer(tag: string): string {
  if (built) return built;
  const outdir = join('dist', `${tag}-${process.pid}`);
  const r = spawnSync(process.execPath, ['scripts/build-server.mjs', outdir], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the server failed:\n${r.stdout}\n${r.stderr}`);
  process.once('exit', () => rmSync(join(ROOT, outdir), { recursive: true, force: true }));
  built = join(ROOT, outdir, 'main.js');
  return built;
}
