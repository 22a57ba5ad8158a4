/**
 * The `barge` command: builds the command tree and runs one command line, turning every failure into
 * a message on stderr and an exit code (2 usage, 1 API/other, 3–5 watched runs ending badly) — with
 * a stack trace only under `--debug`. It talks to Barge through the REST API only; the one exception,
 * `barge serve`, is injected by the launcher (`bin/barge.js`) so this layer never imports the server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../lib/package-root.js';
import { Command, CommanderError } from 'commander';
import { Runner, type Io } from './context.js';
import { CliError, EXIT } from './errors.js';
import { registerAuth } from './commands/auth.js';
import { registerTasks } from './commands/tasks.js';
import { registerTransfer } from './commands/transfer.js';
import { registerExecs } from './commands/execs.js';
import { registerStorage } from './commands/storage.js';
import { registerUsers } from './commands/users.js';
import { registerGroups } from './commands/groups.js';
import { registerCompletion } from './commands/completion.js';
import { registerRoles, type RoleHooks } from './commands/movers.js';
import { registerBrowse } from './commands/browse.js';
import { registerSchedule } from './commands/schedule.js';
import { registerTape } from './commands/tape.js';

/** What the launcher provides beyond the API: starting the server, a dispatcher or a mover in this process. */
export interface Hooks extends RoleHooks {
  serve?: () => Promise<void>;
}

/** The version in package.json (the CLI ships with the server it talks to). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The whole command tree (exported for completion tests and docs). */
export function buildProgram(run: Runner, hooks: Hooks = {}): Command {
  const program = new Command('barge')
    .description('Barge: an open data mover (client of the Nodeum Data Mover API, /api/v2)')
    .version(packageVersion(), '--version', 'print the version')
    .option('--alias <name>', 'use this server alias (see barge alias list; env BARGE_ALIAS)')
    .option('--json', 'machine-readable output (the API bodies as JSON)')
    .option('--debug', 'print stack traces of failures')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => run.io.stdout.write(s), writeErr: (s) => run.io.stderr.write(s) })
    .addHelpText(
      'after',
      '\nEnvironment: BARGE_URL and BARGE_TOKEN override the alias; BARGE_CONFIG (a file) or XDG_CONFIG_HOME moves the configuration.\nExit codes: 0 ok, 1 API or other error, 2 usage error, 3 finished with warnings, 4 error, 5 stopped.',
    );

  program
    .command('serve')
    .description('run the Barge server in this process (like npm start; configured by BARGE_* variables)')
    .action(async () => {
      if (!hooks.serve) throw new CliError('this launcher cannot start the server; run npm start');
      await hooks.serve();
    });
  registerRoles(program, run, hooks);
  registerAuth(program, run);
  registerTransfer(program, run);
  registerTasks(program, run);
  registerSchedule(program, run);
  registerExecs(program, run);
  registerStorage(program, run);
  registerBrowse(program, run);
  registerTape(program, run);
  registerUsers(program, run);
  registerGroups(program, run);
  registerCompletion(program, run);
  return program;
}

function processIo(): Io {
  return { env: process.env, stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
}

/** Runs one command line (`argv` without node and script) and returns the exit code. */
export async function main(argv: string[], hooks: Hooks = {}, io: Io = processIo()): Promise<number> {
  const run = new Runner(io);
  const program = buildProgram(run, hooks);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return run.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version "fail" with exit code 0; everything else commander reports is a usage error.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      io.stderr.write(`barge: ${err.message}\n`);
      if (debug && err.stack) io.stderr.write(err.stack + '\n');
      return err.exitCode;
    }
    const e = err as Error;
    io.stderr.write(`barge: ${e?.message ?? String(err)}\n`);
    io.stderr.write(debug ? `${e?.stack ?? ''}\n` : 'This looks like a bug in barge; run again with --debug for details.\n');
    return EXIT.failure;
  }
}
