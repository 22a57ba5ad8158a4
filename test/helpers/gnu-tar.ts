/**
 * Test support: real GNU tar on a cartridge file, as an operator without Barge would use it. Names
 * are listed literally (UTF-8, no quoting) so that tests compare them with what was written.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ENV = { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC' };

/** `tar --version`'s first line, or undefined when GNU tar is not installed (tests then skip with a reason). */
export async function gnuTarVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await run('tar', ['--version'], { env: ENV });
    const first = stdout.split('\n')[0] ?? '';
    return first.includes('GNU tar') ? first : undefined;
  } catch {
    return undefined;
  }
}

/** The member names `tar -tf` lists, in order. */
export async function tarNames(archive: string): Promise<string[]> {
  const { stdout } = await run('tar', ['--quoting-style=literal', '-tf', archive], { env: ENV, maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\n').filter((l) => l !== '');
}

/** `tar -tvf`'s lines, parsed: mode string, size, name. */
export async function tarVerbose(archive: string): Promise<Array<{ mode: string; size: number; name: string; stderr: string }>> {
  const { stdout, stderr } = await run('tar', ['--quoting-style=literal', '--numeric-owner', '-tvf', archive], { env: ENV, maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\n').filter((l) => l !== '').map((line) => {
    const m = /^(\S+)\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(.*)$/.exec(line);
    if (!m) throw new Error(`unexpected tar -tvf line: ${line}`);
    return { mode: m[1] as string, size: Number(m[2]), name: m[3] as string, stderr };
  });
}

/** `tar -xf archive -C dir`; returns stderr (tar's warnings). */
export async function tarExtract(archive: string, dir: string): Promise<string> {
  const { stderr } = await run('tar', ['-xf', archive, '-C', dir], { env: ENV, maxBuffer: 64 * 1024 * 1024 });
  return stderr;
}
