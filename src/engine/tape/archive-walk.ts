/**
 * An archive's source, walked as a stream of files to write (issue #12). Why a stream: the walk never
 * holds the whole listing — it is screened `batchFiles` entries at a time against the ledger and the
 * catalog (for those keys only), `nodes_todo`/`size_todo` grow as it goes, and the writer
 * (tape-archive.ts) starts with the first batch; the totals are final at INIT_DONE, as for disk
 * copies. What is in memory at any time is one screened batch here and the writer's open session.
 *
 * Resume after a crash: files whose ledger row is `done`/`failed` are skipped; a file whose session
 * was committed but whose ledger rows were not written yet is found in the catalog under this
 * execution and not written again (a move removes its source then) — so no file is ever in two
 * session indexes.
 */
import type { ExecutionContext } from '../execution-context.js';
import { commonParent, destinationPath, segments } from '../dispatcher/plan.js';
import { resolveNodePath } from '../dispatcher/planner.js';
import { walk } from '../dispatcher/walker.js';
import type { ArchiveFile } from './tape-archive.js';
import type { TapeRunState, TapeStoreParts } from './tape-parts.js';

/** Files and bytes walked so far (the execution's `nodes_todo`/`size_todo`). */
export interface Walked {
  files: number;
  bytes: number;
}

/**
 * The files the archive still has to write, in walk order. `walked` is called once the walk is
 * complete, with the totals (then INIT_DONE); a walk ended early (a stop) never calls it.
 */
export async function* archiveWalk(ctx: ExecutionContext, run: TapeRunState, store: TapeStoreParts, batchFiles: number, walked: (todo: Walked) => Promise<void>): AsyncGenerator<ArchiveFile> {
  const ep = ctx.snapshot.sources[0]!;
  const roots = (ep.node_paths.length ? ep.node_paths : ['/']).map((p) => resolveNodePath(ctx, p));
  const strip = ctx.opts.ignoreCommonPath ? commonParent(roots) : '/';
  const base = resolveNodePath(ctx, ctx.snapshot.destinations[0]!.node_paths[0] ?? '/');
  const driver = ctx.sources[0]!.driver;
  const todo: Walked = { files: 0, bytes: 0 };
  let chunk: ArchiveFile[] = [];
  for (const [np, root] of roots.entries()) {
    for await (const w of walk(driver, 0, np, root, { recursive: ctx.opts.recursive, ignoreHidden: ctx.opts.ignoreHidden, order: ctx.opts.order, signal: ctx.abort.signal })) {
      if (w.failure) {
        await run.failed(`t:${w.path}/`, w.path, null, 0, w.failure.code, w.failure.message);
        continue;
      }
      if (w.entry.kind !== 'file') continue;
      const member = segments(destinationPath(w.path, base, strip)).join('/');
      chunk.push({ key: `t:${w.path}`, src: w.path, member, size: w.entry.size, mtimeMs: w.entry.mtimeMs, mode: w.entry.mode ?? 0o644, uid: w.entry.uid, gid: w.entry.gid });
      if (chunk.length >= batchFiles) {
        yield* await screen(ctx, run, store, chunk, todo);
        chunk = [];
      }
    }
  }
  yield* await screen(ctx, run, store, chunk, todo);
  await walked(todo);
}

/** One walked batch: counted into the totals, then what is left to write (ledger and catalog consulted for these keys only). */
async function screen(ctx: ExecutionContext, run: TapeRunState, store: TapeStoreParts, chunk: ArchiveFile[], todo: Walked): Promise<ArchiveFile[]> {
  todo.files += chunk.length;
  todo.bytes += chunk.reduce((a, f) => a + f.size, 0);
  await store.executions.update(ctx.id, { nodes_todo: todo.files, size_todo: todo.bytes, updated_at: store.clock.now().toISOString() });
  if (chunk.length === 0) return [];
  const ledger = await store.ledger.forKeys(ctx.id, chunk.map((f) => f.key));
  run.resumeFrom(ledger.values());
  const onTape = new Set((await store.files.pathsOfExecution(ctx.id, chunk.map((f) => f.member))).map((r) => r.path));
  const left: ArchiveFile[] = [];
  const removeAfter: ArchiveFile[] = [];
  for (const f of chunk) {
    const l = ledger.get(f.key);
    if (l && (l.status === 'done' || l.status === 'failed')) continue;
    if (onTape.has(f.member)) removeAfter.push(f); // committed before a crash: its ledger rows were not written yet
    else left.push(f);
  }
  if (removeAfter.length) {
    const move = ctx.snapshot.workflow_action === 'move';
    for (const f of removeAfter) if (move) await ctx.sources[0]!.driver.remove(f.src, { signal: ctx.abort.signal }).catch(() => false);
    await run.done(removeAfter.map((f) => ({ key: f.key, src: f.src, dst: f.member, size: f.size, checksum: '' })));
  }
  return left;
}

/** `first`, then the rest of `rest`: an iterator whose first item was taken to see whether there is any. */
export async function* prepend<T>(first: T, rest: AsyncIterator<T>): AsyncGenerator<T> {
  try {
    yield first;
    for (;;) {
      const n = await rest.next();
      if (n.done) return;
      yield n.value;
    }
  } finally {
    await rest.return?.(undefined); // a stop ended the run early: the walk ends too
  }
}
