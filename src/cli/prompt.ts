/**
 * Input beyond flags: secrets without putting them on the command line (where `ps` and shell history
 * see them) — from stdin (`--password-stdin`, for scripts) or a hidden prompt on a terminal — and
 * JSON bodies from `--file` (a path, or `-` for stdin).
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Io } from './context.js';
import { CliError, UsageError } from './errors.js';

/** All of stdin, without the trailing newline (what `echo "$PW" | barge login --password-stdin` sends). */
export async function readStdin(io: Io): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of io.stdin as AsyncIterable<Buffer | string>) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Asks on the terminal; `hidden` does not echo what is typed. Refuses (usage error) without a terminal. */
export async function ask(io: Io, question: string, hidden: boolean, flagHint: string): Promise<string> {
  if (!io.stdin.isTTY || !io.stderr.isTTY) throw new UsageError(`${flagHint} (no terminal to ask on)`);
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  const internal = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
  if (hidden) {
    internal._writeToOutput = (s: string) => {
      if (s.includes(question)) internal.output.write(s);
      else if (s.includes('\n') || s.includes('\r')) internal.output.write('\n');
    };
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
  }
}

/** Reads `--file` (a path, or `-` for stdin) as a JSON object. */
export async function readJsonFile(io: Io, path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = path === '-' ? await readStdin(io) : await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`${path} is not a JSON object: ${(err as Error).message}`);
  }
}
