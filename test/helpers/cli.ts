/**
 * Runs the real `barge` binary (`node bin/barge.js …`) as a child process, the way a user does, with
 * its own configuration file and a clean environment (no BARGE_URL/BARGE_TOKEN leaking in from the
 * developer's shell), and captures exit code, stdout and stderr.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, type Client } from './barge.js';
import { unique } from './fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'barge.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Extra environment (added to the clean one). */
  env?: Record<string, string>;
  /** Written to stdin, then closed. */
  input?: string;
  timeoutMs?: number;
}

/** A sandbox for CLI runs: a temp HOME and config file, removed by `cleanup`. */
export interface CliSandbox {
  home: string;
  configPath: string;
  run(args: string[], opts?: CliRunOptions): Promise<CliResult>;
  /** Like run, but fails the test unless the exit code is 0; returns stdout. */
  ok(args: string[], opts?: CliRunOptions): Promise<string>;
  /** Runs with --json, expects exit 0, returns the parsed stdout. */
  json<T = any>(args: string[], opts?: CliRunOptions): Promise<T>;
  cleanup(): Promise<void>;
}

function describe(args: string[], r: CliResult): string {
  return `barge ${args.join(' ')} → ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Runs the binary once with exactly this environment. */
export function runBarge(args: string[], env: Record<string, string>, opts: CliRunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`barge ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 30_000} ms\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A fresh sandbox; `BARGE_CONFIG` points into it unless `useXdg` (then XDG_CONFIG_HOME does). */
export async function cliSandbox(opts: { useXdg?: boolean } = {}): Promise<CliSandbox> {
  const home = await mkdtemp(join(tmpdir(), 'barge-cli-'));
  const base: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, NO_COLOR: '1' };
  const configPath = opts.useXdg ? join(home, 'xdg', 'barge', 'config.json') : join(home, 'barge-config.json');
  if (opts.useXdg) base.XDG_CONFIG_HOME = join(home, 'xdg');
  else base.BARGE_CONFIG = configPath;
  const sandbox: CliSandbox = {
    home,
    configPath,
    run: (args, o) => runBarge(args, base, o),
    async ok(args, o) {
      const r = await runBarge(args, base, o);
      assert.equal(r.code, 0, describe(args, r));
      return r.stdout;
    },
    async json(args, o) {
      const out = await sandbox.ok([...args, '--json'], o);
      try {
        return JSON.parse(out);
      } catch {
        throw new Error(`not JSON from barge ${args.join(' ')} --json:\n${out}`);
      }
    },
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
  return sandbox;
}

/** Asserts a failed run: exit code, a message on stderr, and no stack trace. */
export function assertFailure(r: CliResult, code: number, message: string | RegExp): void {
  assert.equal(r.code, code, `expected exit ${code}\n${r.stdout}\n${r.stderr}`);
  if (typeof message === 'string') assert.ok(r.stderr.includes(message), `stderr lacks "${message}":\n${r.stderr}`);
  else assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /^\s+at .+\(.+:\d+:\d+\)$/m, 'no stack trace without --debug');
}

/** Creates a NAS and one share per name on a fresh temp directory, with those exact (unique) names. */
export async function namedShares(admin: Client, names: string[]): Promise<Record<string, { id: string; name: string; path: string }>> {
  const nas = await admin.post('/nas', { name: unique('nas'), type: 'local' });
  assert.equal(nas.status, 201, JSON.stringify(nas.body));
  const out: Record<string, { id: string; name: string; path: string }> = {};
  for (const n of names) {
    const path = await mkdtemp(join(tmpdir(), `barge-cli-share-${n}-`));
    const name = unique(n);
    const share = await admin.post(`/nas/${nas.body.id}/nas_shares`, { name, path });
    assert.equal(share.status, 201, JSON.stringify(share.body));
    out[n] = { id: share.body.id, name, path };
  }
  return out;
}

/**
 * A sandbox already signed in (a session from POST /users/sign_in written as the `default` alias),
 * so tests of other commands do not each pay for a `barge login` run.
 */
export async function signedInSandbox(url: string, username = 'admin', password = ADMIN_PASSWORD): Promise<CliSandbox> {
  const r = await fetch(`${url}/api/v2/users/sign_in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: { username, password } }) });
  assert.equal(r.status, 201);
  const { token } = (await r.json()) as { token: string };
  const s = await cliSandbox();
  await writeFile(s.configPath, JSON.stringify({ current: 'default', aliases: { default: { url, auth: { type: 'jwt', token, username } } } }), { mode: 0o600 });
  return s;
}
