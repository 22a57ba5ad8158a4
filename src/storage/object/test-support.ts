/**
 * Support shared by the object-store drivers' integration tests (s3 on RGW, azure on Azurite): a suite
 * skipped with its reason, polling with a deadline, chunked bodies, and a writer process killed mid-write.
 *
 * Why here and not in each driver's test support: the tests of both drivers check the same guarantees
 * the same way (the conformance suite, crash recovery), and their set-up must not drift apart.
 */
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

/** Report a suite that cannot run here (no test service): printed, and one skipped test that says why. */
export function reportSkipped(title: string, reason: string): void {
  console.log(reason);
  describe(title, () => {
    it('integration tests', (t) => { t.skip(reason); });
  });
}

/** Poll `check` until it returns true or `timeoutMs` passes. Why: state changes on a service are not instant. */
export async function pollUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** `data` cut into chunks of `size` bytes (the last one shorter), as a producer would write them. */
export function chunks(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

/**
 * Run `script` (an ES module, TypeScript allowed) in a child process and return what it printed. Why: a
 * writer killed mid-write (`process.exit(137)` in the script) is the crash that `cleanupTemp` recovers
 * from, and only another process can die without running the writer's cleanup. A non-zero exit is expected.
 */
export async function outputOfKilledProcess(script: string, timeoutMs = 60_000): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: timeoutMs })
    .catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  return stdout;
}
