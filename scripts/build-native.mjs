#!/usr/bin/env node
// Builds the native copier of the posix copy workers (native/, issue #14) with npm's bundled node-gyp,
// from the root package's `install` script. Why it never fails: the addon is an optimization — without
// a compiler (g++/gcc, make, python3), on another OS, or when the build breaks, Barge runs its
// JavaScript copier with the same guarantees, so `npm ci` must not fail because of it. Offline by
// design: headers come from `nodedir` (npm's config; /usr here), never from the network.
//   BARGE_NATIVE_BUILD=0   skip the build
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const say = (reason) => console.log(`native copier not built (${reason}): Barge uses its JavaScript copier`);

function nodeGyp() {
  const configured = process.env.npm_config_node_gyp;
  if (configured && existsSync(configured)) return [process.execPath, configured];
  // Outside npm: the node-gyp that ships with the npm next to this node, else one on PATH.
  const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(bundled)) return [process.execPath, bundled];
  return ['node-gyp'];
}

/** Headers of the running node, without downloading them: npm's nodedir, else the install prefix's. */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function main() {
  if (process.env.BARGE_NATIVE_BUILD === '0') return say('BARGE_NATIVE_BUILD=0');
  if (process.platform !== 'linux') return say(`${process.platform} is not Linux`);
  const [cmd, ...pre] = nodeGyp();
  const dir = nodeDir();
  const args = [...pre, 'rebuild', '--directory', join(root, 'native'), ...(dir ? [`--nodedir=${dir}`] : [])];
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  if (r.error) return say(`${cmd}: ${r.error.code ?? r.error.message}`);
  if (r.status !== 0) {
    const lines = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
    const hint = /ERR! find Python/.test(`${r.stderr}${r.stdout}`) ? 'no python3 for node-gyp'
      : lines.find((l) => /not found|No such file|error:|ERR! (stack )?Error/i.test(l)) ?? `exit code ${r.status}`;
    return say(`node-gyp failed: ${hint.slice(0, 160)}`);
  }
  if (!existsSync(join(root, 'native', 'build', 'Release', 'barge_copier.node'))) return say('no barge_copier.node after the build');
  console.log(`native copier built in ${Date.now() - started} ms (native/build/Release/barge_copier.node)`);
}

try {
  main();
} catch (err) {
  say(err instanceof Error ? err.message : String(err));
}
process.exitCode = 0;
