/**
 * The directory of Barge's package.json, found from wherever this code runs: the TypeScript sources
 * (`src/…`, through tsx) or the compiled server (`dist/server/…`, what `npm start` runs).
 *
 * Why not paths relative to `import.meta.url`: the build bundles the server into one file, so a
 * module's position in the source tree is not its position at run time; the package root is the same
 * in both, and files shipped beside the code (the OpenAPI seed, the console's build) hang from it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** Absolute path of the package root (memoized). */
export function packageRoot(): string {
  cached ??= findPackageRoot(dirname(fileURLToPath(import.meta.url)));
  return cached;
}

/** The nearest directory at or above `from` whose package.json names `barge`; throws if there is none. */
export function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'barge') return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json of barge above ${from}`);
  }
}
