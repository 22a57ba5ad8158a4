/**
 * `GET /pools/{id}/on_tapes_files` and `…/on_tapes_files/{file_parent_id}/children` (Nodeum's
 * `on_tapes_file`, issue #12): what a tape pool holds, one folder at a time, and on which cartridges —
 * the primary that archived each file, then its **secondary copies** (a duplication's cartridges,
 * `secondary_of` the primary), so an operator sees which cartridges to bring back from the vault.
 *
 * Built from the catalog at each request (the pool's rows, then their copies): a file is its latest
 * copy (as a restore reads it); cartridges holding older versions of a path are not listed. Who sees
 * a pool's files: those who see the pool (admins, readers of the pool), as for `/pools/{id}/tapes`.
 */
import { notFound } from '../domain/errors.js';
import { matchesTerm, compareCodePoints } from '../domain/browse.js';
import { parseListQuery, type ListSpec } from '../domain/list-query.js';
import { onTapesChildren, onTapesFolders, onTapesId, type OnTapesEntry, type OnTapesSourceFile } from '../domain/on-tapes.js';
import type { RegistryRepository } from '../store/registry-repository.js';
import type { TapeFileRepository } from '../store/tape-file-repository.js';
import type { Principal } from './principal.js';

export const ON_TAPES_LIST: ListSpec = { filters: { name: 'string', type: 'string', size: 'number' }, sortable: ['name', 'type', 'size'] };

type Pools = Pick<RegistryRepository<any>, 'findById' | 'isReadable'>;
type Files = Pick<TapeFileRepository, 'inPool' | 'secondaryCopies'>;

export class OnTapesFileService {
  constructor(
    private readonly files: Files,
    private readonly pools: Pools,
  ) {}

  /** The entries of the pool's root (`parentId` undefined) or of the folder with that id. */
  async list(p: Principal, poolId: string, parentId: string | undefined, query: Record<string, unknown>): Promise<{ count: number; on_tapes_files: OnTapesEntry[] }> {
    const pool = await this.pools.findById(poolId);
    if (!pool || (!p.isAdmin && !(await this.pools.isReadable(poolId, p.userId)))) throw notFound('Pool');
    const q = parseListQuery(query, ON_TAPES_LIST);
    const files = await this.poolFiles(poolId);
    let folder = '';
    if (parentId !== undefined) {
      const found = /^\d+$/.test(parentId) ? onTapesFolders(files).find((f) => onTapesId(f) === Number(parentId)) : undefined;
      if (found === undefined) throw notFound('Folder');
      folder = found;
    }
    const entries = onTapesChildren(files, folder).filter((e) => q.filters.every((t) => matchesTerm(e[t.attribute as 'name' | 'type' | 'size'], t)));
    const sort = q.sort.length ? q.sort : [{ attribute: 'type', direction: 'desc' as const }, { attribute: 'name', direction: 'asc' as const }];
    entries.sort((a, b) => {
      for (const s of sort) {
        const x = a[s.attribute as 'name' | 'type' | 'size'];
        const y = b[s.attribute as 'name' | 'type' | 'size'];
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : compareCodePoints(String(x), String(y));
        if (c !== 0) return s.direction === 'asc' ? c : -c;
      }
      return 0;
    });
    return { count: entries.length, on_tapes_files: entries.slice(q.offset, q.offset + q.limit) };
  }

  /** Each path's latest copy in the pool, the cartridges holding that content, and their secondary copies. */
  private async poolFiles(poolId: string): Promise<OnTapesSourceFile[]> {
    const rows = await this.files.inPool(poolId, ['']);
    const latest = new Map<string, (typeof rows)[number]>();
    for (const r of rows) {
      const prev = latest.get(r.path);
      if (!prev || r.recorded_at > prev.recorded_at || (r.recorded_at === prev.recorded_at && r.session_no > prev.session_no)) latest.set(r.path, r);
    }
    const same = (a: { size: number; checksum: string }, b: { size: number; checksum: string }) => Number(a.size) === Number(b.size) && a.checksum === b.checksum;
    const holders = new Map<string, typeof rows>();
    for (const r of rows) if (same(r, latest.get(r.path)!)) holders.set(r.path, [...(holders.get(r.path) ?? []), r]);
    const copies = await this.files.secondaryCopies([...new Set(rows.map((r) => r.tape_id))], [...latest.keys()]);
    const copiesOf = new Map<string, typeof copies>();
    for (const c of copies) copiesOf.set(c.path, [...(copiesOf.get(c.path) ?? []), c]);
    return [...latest.values()].map((r) => {
      const on = holders.get(r.path) ?? [r];
      const ids = new Set(on.map((h) => h.tape_id));
      const secondary = (copiesOf.get(r.path) ?? []).filter((c) => ids.has(c.secondary_of) && same(c, r)).map((c) => c.barcode);
      return { path: r.path, size: Number(r.size), barcodes: [...new Set(on.map((h) => h.barcode))].sort(), secondary: [...new Set(secondary)].sort() };
    });
  }
}
