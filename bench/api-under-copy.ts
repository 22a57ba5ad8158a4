/**
 * Benchmark: does the API stay responsive while data moves? `GET /api/v2/tasks?limit=50` under
 * 200 connections, first with nothing running, then while 4 copies of 4,000 × 8 KiB files run (each
 * restarted into a fresh destination whenever it ends, so copies run during the whole window). The
 * server is the compiled one `npm start` runs: its engine in a worker thread (issue #10). Target: p99
 * < 100 ms and no error with copies running.
 *
 *   npm run bench:api-under-copy     (= node --import tsx bench/api-under-copy.ts)
 *
 * Environment: BENCH_DURATION (measured seconds per row, default 60), BENCH_WARMUP (default 3),
 * BENCH_CONNECTIONS (default 200), BENCH_COPIES (default 4), BENCH_FILES (per copy, default 4000),
 * BENCH_FILE_BYTES (default 8192), BENCH_TASKS (tasks in the list, default 200).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBarge, type BargeChild } from './lib/barge-main.js';
import { call, signIn } from './lib/barge-copy.js';
import { makeSmallTree } from './lib/trees.js';
import { markdownTable, measure, statusText, table, type Measured } from './lib/load.js';
import { cpuSecondsOf } from './lib/rss.js';
import { envNumber } from './lib/session.js';

const PASSWORD = 'bench-admin-password';
const TARGET_P99_MS = 100;

const settings = {
  duration: envNumber('BENCH_DURATION', 60, 1),
  warmup: envNumber('BENCH_WARMUP', 3, 0),
  connections: envNumber('BENCH_CONNECTIONS', 200, 1),
  copies: envNumber('BENCH_COPIES', 4, 1),
  files: envNumber('BENCH_FILES', 4000, 1),
  fileBytes: envNumber('BENCH_FILE_BYTES', 8192, 1),
  tasks: envNumber('BENCH_TASKS', 200, 1),
};

/** Keeps `copies` copy tasks running until stopped: each run that ends starts again into a new destination. */
function keepCopying(b: BargeChild, work: string, sources: string[], nasId: string): { stop: () => Promise<number> } {
  let running = true;
  let runs = 0;
  const loops = sources.map(async (srcShare, i) => {
    for (let round = 0; running; round++) {
      const dir = join(work, `dst-${i}-${round}`);
      await mkdir(dir);
      const dst = await call(b, 'POST', `/nas/${nasId}/nas_shares`, { name: `dst-${i}-${round}`, path: dir });
      const task = await call(b, 'POST', '/tasks', {
        name: `copy-${i}-${round}`, workflow_type: 'data_migration', workflow_action: 'copy', options: { file_checksum: 'xxhash64' },
        sources: [{ type: 'nas', storage_id: srcShare, node_paths: ['/'] }], destinations: [{ type: 'nas', storage_id: dst.id, node_paths: ['/'] }],
      });
      const { execution_id: id } = await call(b, 'PUT', `/tasks/${task.id}/action/run`);
      for (;;) {
        const e = await call(b, 'GET', `/task_executions/${id}`);
        if (e.finished_at) {
          if (e.status !== 'done') throw new Error(`copy ended ${e.status}`);
          runs++;
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return runs;
    },
  };
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'barge-bench-api-copy-'));
  let b: BargeChild | undefined;
  try {
    console.log(`# API under copy load: ${settings.connections} connections, ${settings.duration} s per row; ${settings.copies} copies of ${settings.files} × ${settings.fileBytes} B (load average ${loadavg()[0]!.toFixed(1)}, ${availableParallelism()} CPUs)`);
    const sources: string[] = [];
    for (let i = 0; i < settings.copies; i++) {
      const dir = join(work, `src-${i}`);
      await makeSmallTree(dir, settings.files, Math.max(1, Math.round(settings.files / 100)), settings.fileBytes);
      sources.push(dir);
    }
    b = await startBarge({ dataDir: join(work, 'data'), password: PASSWORD });
    await signIn(b, PASSWORD);
    const nas = await call(b, 'POST', '/nas', { name: 'bench', type: 'local' });
    const shares: string[] = [];
    for (const [i, dir] of sources.entries()) shares.push((await call(b, 'POST', `/nas/${nas.id}/nas_shares`, { name: `src-${i}`, path: dir })).id);
    for (let i = 0; i < settings.tasks; i++) {
      await call(b, 'POST', '/tasks', { name: `listed-${i}`, workflow_type: 'data_migration', workflow_action: 'copy', sources: [{ type: 'nas', storage_id: shares[0], node_paths: ['/'] }], destinations: [{ type: 'nas', storage_id: shares[0], node_paths: ['/x'] }] });
    }
    const url = b.api.replace(/\/api\/v2$/, '') + '/api/v2/tasks?limit=50';
    const pid = b.pid;
    const load = (label: string) => measure(label, { url, headers: { authorization: b!.auth }, connections: settings.connections, duration: settings.duration, warmup: settings.warmup, cpuSeconds: () => cpuSecondsOf(pid) });
    const rows: Measured[] = [await load('no copy running')];
    const copying = keepCopying(b, work, shares, nas.id);
    rows.push(await load(`${settings.copies} copies running`));
    const runs = await copying.stop();
    const head = ['load', 'req/s', 'p50 ms', 'p99 ms', 'avg ms', 'non-2xx', 'errors', 'statuses'];
    const body = rows.map((r) => [r.label, r.reqPerSec.toFixed(0), r.p50.toFixed(1), r.p99.toFixed(1), r.avg.toFixed(1), String(r.non2xx), String(r.errors), statusText(r.statuses)]);
    console.log(table(head, body));
    console.log(`\n${runs} copies finished during the second row.\n\nMarkdown:\n${markdownTable(head, body)}`);
    const loaded = rows[1]!;
    const met = loaded.p99 < TARGET_P99_MS && loaded.errors === 0 && loaded.non2xx === 0;
    console.log(`\nTarget p99 < ${TARGET_P99_MS} ms with copies running, 0 errors: ${met ? 'met' : 'missed'} (p99 ${loaded.p99.toFixed(1)} ms, ${loaded.errors} errors, ${loaded.non2xx} non-2xx)`);
  } finally {
    await b?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
