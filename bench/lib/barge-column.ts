/**
 * The Barge side of a copy benchmark: one server child (src/main.ts) with a NAS, the source and
 * destination shares, and a task per option set; `run()` runs one of those tasks (the `copy` of a
 * measured column, see columns.ts). It signs in once and uses the JWT for every call. Settings shared by every copy benchmark:
 *   BENCH_CPU_PROF     a directory: the server runs with --cpu-prof and writes its profile there on exit
 *   BARGE_MOVER_SLOTS, BARGE_COPY_WORKERS, BARGE_POSIX_SYNCFS, BARGE_NATIVE_COPY  passed through to the server (README, configuration)
 *   UV_THREADPOOL_SIZE passed through to the server (libuv's pool for fs calls; Node's default is 4)
 *   BENCH_NODE_ARGS    extra Node flags for the server, space-separated (e.g. `--max-semi-space-size=4`)
 */
import { resolve, join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { startBarge, type BargeChild } from './barge-main.js';
import { createCopyTask, createShares, runAndWait, signIn, type Shares } from './barge-copy.js';
import { fmt } from './session.js';
import { cpuSecondsOf, RssSampler, threadCpuOf } from './rss.js';
import type { Timed } from './tools.js';

const PASSWORD = 'bench-admin-password';

export interface BargeBench {
  server: BargeChild;
  shares: Shares;
  cpuProfDir: string | undefined;
  /** Creates a copy task with these options; returns its id. */
  task(name: string, options: Record<string, unknown>): Promise<string>;
  /**
   * Runs a task; its timing is run → finished_at, its `maxRssKiB` the largest VmRSS of the server
   * sampled during the run (every 200 ms; the sampler is left in `lastSampler` for VmHWM), its
   * `cpuSeconds` the server's CPU time over the run, every thread and waited-for child (API polling
   * included: ~10 requests/s), `threads` the same by thread name (src/lib/thread-name.ts).
   */
  run(taskId: string): Promise<Timed & { note: string; threads: Map<string, number> }>;
  lastSampler: RssSampler | undefined;
}

/** Boots Barge with its data dir in `work/data` and shares on `src`/`dst`. */
export async function bootBarge(work: string, src: string, dst: string): Promise<BargeBench> {
  const cpuProfDir = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined;
  if (cpuProfDir) await mkdir(cpuProfDir, { recursive: true });
  const env: Record<string, string> = {};
  for (const name of ['BARGE_MOVER_SLOTS', 'UV_THREADPOOL_SIZE', 'BARGE_COPY_WORKERS', 'BARGE_POSIX_SYNCFS', 'BARGE_NATIVE_COPY', 'BARGE_COPY_NICE']) {
    const v = process.env[name];
    if (v) env[name] = v;
  }
  const server = await startBarge({
    dataDir: join(work, 'data'), password: PASSWORD, env,
    nodeArgs: [...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []), ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
  });
  console.log(`- Barge (pid ${server.pid}) at ${server.api}${Object.entries(env).map(([k, v]) => `, ${k}=${v}`).join('')}${cpuProfDir ? `, --cpu-prof into ${cpuProfDir}` : ''}`);
  await signIn(server, PASSWORD);
  const shares = await createShares(server, src, dst);
  const bench: BargeBench = {
    server, shares, cpuProfDir, lastSampler: undefined,
    task: (name, options) => createCopyTask(server, shares, name, options),
    async run(taskId) {
      const cpu0 = cpuSecondsOf(server.pid, true) ?? 0;
      const threads0 = threadCpuOf(server.pid);
      const sampler = new RssSampler(server.pid, 200);
      bench.lastSampler = sampler;
      let r;
      try {
        r = await runAndWait(server, taskId, 100);
      } finally {
        sampler.stop(); // while the server still runs: VmHWM is read from the live process
      }
      const cpuSeconds = (cpuSecondsOf(server.pid, true) ?? cpu0) - cpu0;
      const threads = new Map<string, number>();
      for (const [name, sec] of threadCpuOf(server.pid)) threads.set(name, sec - (threads0.get(name) ?? 0));
      const walk = r.walkSeconds === undefined ? 'walk done before the first poll' : `walk done after ~${fmt(r.walkSeconds, 1)} s`;
      return { seconds: r.seconds, maxRssKiB: sampler.maxRssKiB, cpuSeconds, threads, note: `${walk}; ${fmt(Number(r.execution.nodes_done))} files done` };
    },
  };
  return bench;
}
