/**
 * Which storages a mover reaches (`BARGE_MOVER_STORAGES`: share and bucket names, or `*`). A share is
 * a directory mounted on the movers' hosts: one whose path is absent here is left out, with a log
 * line, even under `*`. The set is refreshed now and then (shares are created, mounts come and go),
 * and the mover takes a batch only of executions whose every storage it reaches.
 */
import type { Logger } from 'pino';
import { existsSync } from 'node:fs';

/** The storages of the store, as a mover needs to judge them. */
export interface StorageDirectory {
  shares(): Promise<Array<{ id: string; name: string; path: string }>>;
  buckets(): Promise<Array<{ id: string; name: string }>>;
}

export type StorageRef = { id: string; name: string };

export class MoverReach {
  private ids = new Set<string>();
  private refs: StorageRef[] = [];
  private leftOut = new Set<string>();

  constructor(
    /** Names, or `*` for every storage (shares whose path exists here). */
    private readonly spec: readonly string[] | '*',
    private readonly directory: StorageDirectory,
    private readonly log: Logger,
    private readonly pathExists: (path: string) => boolean = existsSync,
  ) {}

  /** Told what the mover reaches after each look (its presence row shows it). */
  onChange: ((storages: StorageRef[]) => void) | undefined;

  /** Reads the storages again; returns what this mover reaches now. */
  async refresh(): Promise<StorageRef[]> {
    this.refreshedAt = Date.now();
    const wanted = (name: string) => this.spec === '*' || this.spec.includes(name);
    const refs: StorageRef[] = [];
    const leftOut = new Set<string>();
    for (const s of await this.directory.shares()) {
      if (!wanted(s.name)) continue;
      if (this.pathExists(s.path)) refs.push({ id: s.id, name: s.name });
      else leftOut.add(s.name);
    }
    for (const b of await this.directory.buckets()) if (wanted(b.name)) refs.push({ id: b.id, name: b.name });
    for (const name of leftOut) if (!this.leftOut.has(name)) this.log.warn({ share: name }, 'share left out: its path does not exist on this host');
    if (this.spec !== '*') {
      const known = new Set([...refs.map((r) => r.name), ...leftOut]);
      for (const name of this.spec) if (!known.has(name)) this.log.warn({ storage: name }, 'BARGE_MOVER_STORAGES names a storage that does not exist');
    }
    this.leftOut = leftOut;
    this.refs = refs.sort((a, b) => a.name.localeCompare(b.name));
    this.ids = new Set(refs.map((r) => r.id));
    this.onChange?.(this.refs);
    return this.refs;
  }

  private refreshedAt = 0;

  /**
   * Whether this mover reaches every one of these storages, looking again (at most every `minMs`)
   * when one is unknown: a share created after the mover started is taken within seconds.
   */
  async reaches(storageIds: readonly string[], minMs = 5_000): Promise<boolean> {
    if (this.allows(storageIds)) return true;
    if (Date.now() - this.refreshedAt < minMs) return false;
    await this.refresh();
    return this.allows(storageIds);
  }

  /** Whether this mover reaches every one of these storages (by id). */
  allows(storageIds: readonly string[]): boolean {
    return storageIds.every((id) => this.ids.has(id));
  }

  get storages(): StorageRef[] {
    return this.refs;
  }
}
