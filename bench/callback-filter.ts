/**
 * Benchmark: filter callback calls per second, through the path the dispatcher's walk takes — the
 * walker hands each folder's entries to the task's selector (engine/callbacks/execution-callbacks.ts),
 * which turns them into plain files and sends them to the sandbox thread, a thousand at a time, where
 * QuickJS calls `filter(file)` once per entry under its time budget.
 *
 *   npm run bench:callback-filter     (= node --import tsx bench/callback-filter.ts)
 *
 * Environment (optional): BENCH_ENTRIES entries per row (default 200000). Rows: folders of 10, 100
 * and 1000 entries (a sandbox round trip per folder: small folders pay it more often). Target
 * (issue #11): ≥ 50,000 calls/s with folders of 100 entries. It exits 0 once it has measured.
 */
import { loadavg } from 'node:os';
import pino from 'pino';
import type { Entry } from '../src/storage/driver.js';
import type { ExecutionContext } from '../src/engine/execution-context.js';
import type { TaskCallbackRow } from '../src/store/schema.js';
import { ExecutionCallbacks } from '../src/engine/callbacks/execution-callbacks.js';

const TARGET = 50_000;
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 200_000);

/** A filter as a user would write one: media files of some size, not recently changed, outside build folders. */
const SCRIPT = `var EXCLUDED = { node_modules: true, '.git': true, tmp: true, cache: true };
var MEDIA = /\\.(jpe?g|png|tiff?|raw|cr2|mp4|mov|mkv)$/i;
var NOW = Date.now();
function filter(file) {
  if (file.kind === 'folder') return !EXCLUDED[file.name];
  if (file.kind !== 'file') return false;
  var ageDays = (NOW - file.mtime) / 86400000;
  return file.size >= 4096 && MEDIA.test(file.name) && ageDays > 30;
}`;

const EXT = ['jpg', 'png', 'txt', 'mp4', 'log', 'CR2', 'json', 'mov'];

function folder(n: number, base: number, now: number): Array<{ path: string; entry: Entry }> {
  return Array.from({ length: n }, (_, i) => {
    const k = base + i;
    const dir = k % 50 === 0;
    const name = dir ? `dir-${k}` : `IMG_${String(k).padStart(7, '0')}.${EXT[k % EXT.length]}`;
    const entry: Entry = dir
      ? { name, kind: 'dir', size: 0, mtimeMs: now - (k % 400) * 86_400_000, atimeMs: now, ctimeMs: now, mode: 0o755, uid: 1000, gid: 1000 }
      : { name, kind: 'file', size: (k * 7919) % 10_000_000, mtimeMs: now - (k % 400) * 86_400_000, atimeMs: now, ctimeMs: now, mode: 0o644, uid: 1000, gid: 1000 };
    return { path: `/photos/2024/${Math.floor(k / n)}/${name}`, entry };
  });
}

async function main(): Promise<void> {
  const row: TaskCallbackRow = {
    id: 'bench-filter', task_id: 'bench-task', type: 'before_request_dispatched', language: 'javascript', script: SCRIPT,
    url: null, secret_sealed: null, events: null, created_at: '', updated_at: '',
  };
  const callbacks = new ExecutionCallbacks({
    forTask: async () => [row], doneBatches: async () => [], forKeys: async () => new Map(), findExecution: async () => undefined, appendLog: async () => {},
  }, () => ({}), pino({ level: 'silent' }));
  const ctx = { id: 'bench-execution', taskId: 'bench-task', snapshot: {}, notes: [] } as unknown as ExecutionContext;
  const select = await callbacks.filter(ctx);
  if (!select) throw new Error('the filter did not compile');
  const now = Date.now();
  // Warm-up: the interpreter and the thread.
  for (let i = 0; i < 20; i++) await select(folder(500, i * 500, now));

  console.log(`callback filter: ${ENTRIES} entries per row, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('| entries per folder | calls/s | µs per call | kept | target |');
  console.log('|---|---|---|---|---|');
  let met = false;
  for (const size of [10, 100, 1000]) {
    const folders = Array.from({ length: Math.ceil(ENTRIES / size) }, (_, i) => folder(size, i * size, now));
    let kept = 0;
    const started = process.hrtime.bigint();
    for (const f of folders) for (const v of await select(f)) if (v === 'keep') kept++;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rate = Math.round((folders.length * size) / seconds);
    if (size === 100) met = rate >= TARGET;
    console.log(`| ${size} | ${rate.toLocaleString('en')} | ${(1e6 / rate).toFixed(1)} | ${kept} | ${size === 100 ? (rate >= TARGET ? `met (≥ ${TARGET.toLocaleString('en')})` : `missed (< ${TARGET.toLocaleString('en')})`) : ''} |`);
  }
  console.log(met ? 'target met' : 'target missed');
  await callbacks.release(ctx.id);
}

await main();
