/**
 * `barge login`, `barge logout` and `barge alias …`: which servers the CLI knows and how it signs in
 * to each. Sign-in stores the JWT from `POST /users/sign_in`; `--api-key` stores a key after checking
 * it against `GET /users/me`. Secrets are never printed back.
 */
import type { Command } from 'commander';
import { ApiClient } from '../http.js';
import { ApiError, CliError, UsageError } from '../errors.js';
import { DEFAULT_ALIAS, jwtExpiry, normalizeUrl, saveConfig, type AliasEntry, type StoredAuth } from '../config.js';
import type { Context, Runner } from '../context.js';
import { ask, readStdin } from '../prompt.js';
import { formatDate, renderTable } from '../output.js';

/** The default server: what `npm start` / `barge serve` listen on. */
export const DEFAULT_URL = 'http://127.0.0.1:8080';

interface LoginFlags {
  url?: string;
  user?: string;
  password?: string;
  passwordStdin?: boolean;
  apiKey?: string;
}

function describeAuth(auth: StoredAuth | undefined): string {
  if (!auth) return '(logged out)';
  if (auth.type === 'api_key') return `api key …${auth.key.slice(-4)}`;
  return `user ${auth.username}`;
}

function expiresAt(auth: StoredAuth | undefined): string | undefined {
  return auth?.type === 'jwt' ? auth.expires_at : undefined;
}

async function login(ctx: Context, f: LoginFlags): Promise<void> {
  const config = await ctx.config();
  const name = await ctx.aliasName();
  const previous: AliasEntry | undefined = config.aliases[name];
  // A new alias without --url signs in to the same server as the current one (another user, say).
  const currentUrl = config.current ? config.aliases[config.current]?.url : undefined;
  const url = normalizeUrl(f.url ?? ctx.io.env.BARGE_URL ?? previous?.url ?? currentUrl ?? DEFAULT_URL);
  let auth: StoredAuth;
  let username: string | undefined;
  if (f.apiKey !== undefined) {
    if (f.user || f.password !== undefined || f.passwordStdin) throw new UsageError('--api-key cannot be combined with --user/--password');
    if (!f.apiKey) throw new UsageError('--api-key is empty');
    try {
      username = (await new ApiClient(url, { header: f.apiKey }).get<{ username: string }>('/users/me')).username;
    } catch (err) {
      // A key scoped without users/show_me is still a good key: only a 401 means it is not.
      if (!(err instanceof ApiError && err.status === 403)) throw err;
    }
    auth = { type: 'api_key', key: f.apiKey };
  } else {
    if (f.password !== undefined && f.passwordStdin) throw new UsageError('use either --password or --password-stdin');
    const user = f.user ?? (await ask(ctx.io, 'Username: ', false, '--user is required'));
    const password = f.passwordStdin ? await readStdin(ctx.io) : (f.password ?? (await ask(ctx.io, 'Password: ', true, '--password-stdin or --password is required')));
    const res = await new ApiClient(url).post<{ token: string; user: { username: string } }>('/users/sign_in', { user: { username: user, password } });
    const exp = jwtExpiry(res.token);
    username = res.user.username;
    auth = { type: 'jwt', token: res.token, username, ...(exp ? { expires_at: new Date(exp * 1000).toISOString() } : {}) };
  }
  config.aliases[name] = { url, auth };
  config.current ??= name;
  await saveConfig(ctx.configPath, config);
  const expires = expiresAt(auth);
  if (ctx.json) return ctx.printJson({ alias: name, url, user: username ?? null, auth: auth.type, expires_at: expires ?? null, current: config.current === name });
  ctx.out(`Logged in to ${url} as ${username ?? '(api key)'} (alias "${name}"${expires ? `, session until ${formatDate(expires)} UTC` : ''}).`);
  if (config.current !== name) ctx.out(`The current alias is "${config.current}": pass --alias ${name}, or run barge alias use ${name}.`);
}

async function logout(ctx: Context): Promise<void> {
  const config = await ctx.config();
  const name = await ctx.aliasName();
  const entry = config.aliases[name];
  if (!entry) throw new UsageError(`unknown alias "${name}" (see barge alias list)`);
  delete entry.auth;
  await saveConfig(ctx.configPath, config);
  if (ctx.json) return ctx.printJson({ alias: name, logged_out: true });
  ctx.out(`Logged out of "${name}" (${entry.url}); the alias stays (barge alias remove ${name} forgets it).`);
}

/** Registers login, logout and alias. */
export function registerAuth(program: Command, run: Runner): void {
  program
    .command('login')
    .description('sign in to a Barge server (stores a session) or store an API key')
    .option('--url <url>', `server URL (default: BARGE_URL, the alias's, the current alias's, or ${DEFAULT_URL})`)
    .option('--user <name>', 'username (asked on a terminal when missing)')
    .option('--password <password>', 'password (visible in ps and history: prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin')
    .option('--api-key <key>', 'store this API key instead of signing in')
    .addHelpText('after', '\nExamples:\n  barge login --url http://127.0.0.1:8080 --user admin\n  echo "$PW" | barge login --alias prod --url https://barge.example --user admin --password-stdin')
    .action(run.action<LoginFlags>((ctx, _a, f) => login(ctx, f)));

  program
    .command('logout')
    .description('forget the credentials of the alias (the server stays known)')
    .action(run.action((ctx) => logout(ctx)));

  const alias = program.command('alias').description('the servers this CLI knows (aliases)');
  alias
    .command('list')
    .description('list aliases; * marks the current one')
    .action(
      run.action(async (ctx) => {
        const config = await ctx.config();
        const current = config.current ?? DEFAULT_ALIAS;
        const rows = Object.entries(config.aliases).map(([name, e]) => ({
          name, url: e.url, current: name === current, auth: e.auth?.type ?? null,
          user: e.auth?.type === 'jwt' ? e.auth.username : null, expires_at: expiresAt(e.auth) ?? null,
        }));
        if (ctx.json) return ctx.printJson({ current: config.current ?? null, aliases: rows });
        if (rows.length === 0) return ctx.note('no aliases yet: barge login --url URL --user NAME');
        ctx.out(renderTable(['', 'alias', 'url', 'auth', 'session until'], rows.map((r) => [r.current ? '*' : ' ', r.name, r.url, describeAuth(config.aliases[r.name]?.auth), r.expires_at ? formatDate(r.expires_at) : ''])));
      }),
    );
  alias
    .command('use <name>')
    .description('make an alias the current one')
    .action(
      run.action(async (ctx, [name]: string[]) => {
        const config = await ctx.config();
        if (!config.aliases[name as string]) throw new CliError(`unknown alias "${name}" (see barge alias list)`, 2);
        config.current = name;
        await saveConfig(ctx.configPath, config);
        if (ctx.json) return ctx.printJson({ current: name });
        ctx.out(`Current alias: ${name}`);
      }),
    );
  alias
    .command('remove <name>')
    .description('forget an alias and its credentials')
    .action(
      run.action(async (ctx, [name]: string[]) => {
        const config = await ctx.config();
        if (!config.aliases[name as string]) throw new CliError(`unknown alias "${name}" (see barge alias list)`, 2);
        delete config.aliases[name as string];
        if (config.current === name) delete config.current;
        await saveConfig(ctx.configPath, config);
        if (ctx.json) return ctx.printJson({ removed: name });
        ctx.out(`Removed alias ${name}`);
      }),
    );
}
