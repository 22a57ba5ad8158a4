/**
 * What every command runs with: the global flags (`--alias`, `--json`, `--debug`), the environment,
 * output streams, and — resolved lazily, because `login`, `completion` and `serve` need none — the
 * server and credentials of the selected alias. Commands get it from `action()` instead of reading
 * globals, so they stay testable and the exit code is set in one place.
 */
import type { Command } from 'commander';
import { ApiClient, SESSION_EXPIRED } from './http.js';
import { CliError, UsageError } from './errors.js';
import { DEFAULT_ALIAS, configPath, jwtExpiry, loadConfig, normalizeUrl, type AliasEntry, type ConfigFile } from './config.js';

/** The flags every command accepts (defined once on the root program). */
export interface GlobalOptions {
  alias?: string;
  json?: boolean;
  debug?: boolean;
}

/** Streams and environment of one run (tests and `main` pass the process's). */
export interface Io {
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export class Context {
  /** The exit code the command asks for (watch results); errors set theirs in `main`. */
  exitCode = 0;
  private configCache?: ConfigFile;
  private clientCache?: ApiClient;

  constructor(
    readonly opts: GlobalOptions,
    readonly io: Io,
  ) {}

  get json(): boolean {
    return Boolean(this.opts.json);
  }

  get configPath(): string {
    return configPath(this.io.env);
  }

  async config(): Promise<ConfigFile> {
    this.configCache ??= await loadConfig(this.configPath);
    return this.configCache;
  }

  /** The alias this run uses: `--alias`, else BARGE_ALIAS, else the current one, else `default`. */
  async aliasName(): Promise<string> {
    return this.opts.alias ?? this.io.env.BARGE_ALIAS ?? (await this.config()).current ?? DEFAULT_ALIAS;
  }

  /** The client for the selected server; BARGE_URL / BARGE_TOKEN override what the alias stores. */
  async client(): Promise<ApiClient> {
    if (this.clientCache) return this.clientCache;
    const name = await this.aliasName();
    const entry: AliasEntry | undefined = (await this.config()).aliases[name];
    const envUrl = this.io.env.BARGE_URL;
    if (!entry && this.opts.alias && !envUrl) throw new UsageError(`unknown alias "${name}" (see barge alias list)`);
    const url = envUrl ? normalizeUrl(envUrl) : entry?.url;
    if (!url) throw new CliError('no Barge server configured: run barge login --url URL (or set BARGE_URL)');
    const token = this.io.env.BARGE_TOKEN;
    // The alias's credentials go to the alias's server only, never to another BARGE_URL.
    const stored = url === entry?.url ? entry.auth : undefined;
    let header: string | undefined;
    let session = false;
    if (token) {
      header = `Bearer ${token}`;
      session = jwtExpiry(token) !== undefined;
      if (session) assertNotExpired(token);
    } else if (stored?.type === 'jwt') {
      assertNotExpired(stored.token);
      header = `Bearer ${stored.token}`;
      session = true;
    } else if (stored?.type === 'api_key') {
      header = stored.key;
    }
    this.clientCache = new ApiClient(url, { header, session });
    return this.clientCache;
  }

  /** Writes a line (or lines) for people to stdout. */
  out(text = ''): void {
    this.io.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** Writes a note to stderr (progress, warnings), keeping stdout for results. */
  note(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** Machine output: pretty JSON on stdout. */
  printJson(value: unknown): void {
    this.io.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }
}

function assertNotExpired(token: string): void {
  const exp = jwtExpiry(token);
  if (exp !== undefined && exp * 1000 <= Date.now()) throw new CliError(SESSION_EXPIRED);
}

/** The context of the command being run: global options come from the root program via `optsWithGlobals`. */
export function contextOf(cmd: Command, io: Io): Context {
  return new Context(cmd.optsWithGlobals<GlobalOptions>(), io);
}

/** Positional arguments as commander passes them (variadic ones are arrays). */
export type Args = any[];

/**
 * Wraps command handlers: builds the Context from the command's global flags and records the exit
 * code a handler returns (watch results), so `main` ends the process with it.
 */
export class Runner {
  exitCode = 0;

  constructor(readonly io: Io) {}

  action<O = Record<string, any>>(fn: (ctx: Context, args: Args, opts: O, cmd: Command) => Promise<number | void>): (...raw: any[]) => Promise<void> {
    return async (...raw: any[]) => {
      const cmd = raw[raw.length - 1] as Command;
      const opts = raw[raw.length - 2] as O;
      const ctx = contextOf(cmd, this.io);
      const code = await fn(ctx, raw.slice(0, -2), opts, cmd);
      if (typeof code === 'number') this.exitCode = code;
    };
  }
}
