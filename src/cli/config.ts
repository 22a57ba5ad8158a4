/**
 * Where `barge` keeps its servers and credentials: one JSON file with named aliases (like Nodeum's
 * `nd` client), one of them current. The file holds secrets (JWTs, API keys), so it is written with
 * mode 0600 in a 0700 directory, atomically (temp file + rename) so a crash never leaves half a file.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './errors.js';

/** How an alias authenticates: a sign-in JWT (expires) or an API key (until revoked). */
export type StoredAuth =
  | { type: 'jwt'; token: string; username: string; expires_at?: string }
  | { type: 'api_key'; key: string };

/** One server the CLI knows. `url` is the server root (no `/api/v2`). */
export interface AliasEntry {
  url: string;
  auth?: StoredAuth;
}

/** The whole file. */
export interface ConfigFile {
  current?: string;
  aliases: Record<string, AliasEntry>;
}

/** The alias used when none is named and none is current. */
export const DEFAULT_ALIAS = 'default';

/** Where the configuration lives: BARGE_CONFIG (a file), else $XDG_CONFIG_HOME/barge, else ~/.config/barge. */
export function configPath(env: Record<string, string | undefined> = process.env): string {
  if (env.BARGE_CONFIG) return env.BARGE_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'barge', 'config.json');
}

/** Reads the file; a missing file is an empty configuration, a corrupt one is an error that names it. */
export async function loadConfig(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { aliases: {} };
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<ConfigFile>;
    if (!parsed || typeof parsed !== 'object' || (parsed.aliases !== undefined && typeof parsed.aliases !== 'object')) throw new Error('not an object');
    return { current: parsed.current, aliases: parsed.aliases ?? {} };
  } catch {
    throw new CliError(`the configuration file ${path} is not valid JSON; fix or remove it`);
  }
}

/** Writes the file atomically with mode 0600 (and its directory 0700 when created). */
export async function saveConfig(path: string, config: ConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600); // the umask cannot widen 0600, but a pre-existing temp file might have other bits
  await rename(tmp, path);
}

/** Server root from what people type: trailing slashes and a trailing `/api/v2` are dropped. */
export function normalizeUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(`not a URL: ${raw} (expected e.g. http://127.0.0.1:8080)`, 2);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`not an http(s) URL: ${raw}`, 2);
  return u.toString().replace(/\/+$/, '').replace(/\/api\/v2$/, '');
}

/** The `exp` of a JWT (seconds since the epoch), read without verifying it: only to warn early. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}
