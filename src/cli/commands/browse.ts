/**
 * `barge ls STORAGE:PATH`: one folder of a NAS share or a cloud bucket, as the API lists it
 * (`GET /nas_shares/{id}/files`, `GET /cloud_buckets/{id}/files`): folders first, then by name, paged
 * like every list. STORAGE is a share or bucket name or id, as in `copy`.
 */
import type { Command } from 'commander';
import type { BrowseEntry } from '../../domain/browse.js';
import type { Runner } from '../context.js';
import { addListFlags, listQuery, type ListFlags } from '../flags.js';
import { findStorage, parseLocation } from '../locations.js';
import { formatBytes, formatDate, printList, type Column } from '../output.js';

/** `0o644` → `0644`. */
function octal(mode: number | null): string | null {
  return mode === null ? null : mode.toString(8).padStart(4, '0');
}

const COLUMNS: Column<BrowseEntry>[] = [
  { head: 'name', get: (e) => (e.type === 'folder' ? `${e.name}/` : e.link_target !== null ? `${e.name} -> ${e.link_target}` : e.name) },
  { head: 'type', get: (e) => e.type },
  { head: 'size', get: (e) => (e.size === null ? null : formatBytes(e.size)) },
  { head: 'modified', get: (e) => formatDate(e.mtime) },
  { head: 'mode', get: (e) => octal(e.mode) },
  { head: 'owner', get: (e) => (e.uid === null && e.gid === null ? null : `${e.uid ?? '-'}:${e.gid ?? '-'}`) },
];

/** Registers `barge ls`. */
export function registerBrowse(program: Command, run: Runner): void {
  addListFlags(
    program.command('ls <location>').description('list one folder of a share or bucket: STORAGE:PATH (e.g. src:/docs, photos:2024/); folders first, then by name'),
    'entries (name, type, size, mtime)',
    { all: false },
  ).action(
    run.action<ListFlags>(async (ctx, [raw], f) => {
      const loc = parseLocation(raw as string);
      const client = await ctx.client();
      const storage = await findStorage(client, ['nas', 'cloud'], loc.storage);
      const collection = storage.kind === 'nas' ? 'nas_shares' : 'cloud_buckets';
      const body = await client.get<Record<string, unknown>>(`/${collection}/${encodeURIComponent(storage.id)}/files`, listQuery(f, { path: loc.path }));
      printList<BrowseEntry>(ctx, body, 'files', COLUMNS, f.offset);
      if (!ctx.json && body.truncated === true) ctx.note(`the folder holds more entries than one listing reads: the first ${String(body.count)} are counted and sorted`);
    }),
  );
}
