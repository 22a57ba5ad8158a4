/**
 * The serialized bodies of `GET /tasks`, kept per scope and normalized query, so that a list nobody
 * changed is answered with the bytes of the previous answer (issue #2: 100,000 tasks, thousands of
 * requests per second).
 *
 * Exactness comes from the store, not from this process: every entry carries the store's `tasks`
 * generation (services/generations.ts: bumped in the same transaction as any write to tasks,
 * endpoints, executions or usernames, by any process), which each request reads before any data.
 * An entry is used only when the generations are equal; otherwise the page is built again. One
 * generation for all lists: a running execution invalidates every page about once a second (its
 * progress), which costs one rebuild per page and second — and keeps the check one tiny read.
 *
 * Auth is not this class's business but its order is: the auth hook has authenticated and checked
 * the key's scope before the handler runs, and `ownerScope` (403 for `all=true` from a non-admin) runs
 * here before any cached byte is looked at. Another user's entries are unreachable: the key starts
 * with the owner's id, or `*` for the admin-only everybody scope.
 */
import { parseListQuery, type ListQuery } from '../domain/list-query.js';
import type { OwnerScope } from '../store/task-repository.js';
import type { GenerationSource } from './generations.js';
import type { Principal } from './principal.js';
import { TASK_LIST, ownerScope, type TaskService } from './task-service.js';

export interface TaskListCacheOptions {
  /** Off: every request builds its page (the uncached reference; bodies are identical). */
  enabled: boolean;
  /** Bound on the cached bodies' total size; least recently used entries go first. */
  maxBytes: number;
}

export const DEFAULT_TASK_LIST_CACHE: TaskListCacheOptions = { enabled: true, maxBytes: 32 * 1024 * 1024 };

interface Entry {
  generation: number;
  body: Buffer;
}

/** The body exactly as the default serializer would send the page (server.ts: JSON.stringify). */
function serialize(page: unknown): Buffer {
  return Buffer.from(JSON.stringify(page), 'utf8');
}

/** One key per distinct list: same scope and same parsed query ⇒ same body. */
function cacheKey(scope: OwnerScope, q: ListQuery): string {
  return `${scope.all ? '*' : `u:${scope.userId}`}|${q.limit}|${q.offset}|${JSON.stringify(q.sort)}|${JSON.stringify(q.filters)}`;
}

export class TaskListCache {
  private readonly entries = new Map<string, Entry>();
  /** Pages being built, by generation and key: concurrent misses share one build. */
  private readonly building = new Map<string, Promise<Buffer>>();
  private bytes = 0;

  constructor(
    private readonly tasks: TaskService,
    private readonly generations: GenerationSource,
    private readonly opts: TaskListCacheOptions = DEFAULT_TASK_LIST_CACHE,
  ) {}

  /**
   * The JSON body of `GET /tasks` for this principal and query (422/403 as TaskService.list).
   * `tasksGeneration`: the generation this request already read (the auth hook reads them once).
   */
  async body(p: Principal, query: Record<string, unknown>, tasksGeneration?: number): Promise<Buffer> {
    const q = parseListQuery(query, TASK_LIST);
    const scope = ownerScope(p, q.all);
    if (!this.opts.enabled) return serialize(await this.tasks.page(q, scope));
    const key = cacheKey(scope, q);
    const generation = tasksGeneration ?? (await this.generations.current()).tasks;
    const hit = this.entries.get(key);
    if (hit && hit.generation === generation) {
      this.entries.delete(key); // most recently used last
      this.entries.set(key, hit);
      return hit.body;
    }
    const flight = `${generation}|${key}`;
    let pending = this.building.get(flight);
    if (!pending) {
      pending = this.build(key, generation, q, scope).finally(() => this.building.delete(flight));
      this.building.set(flight, pending);
    }
    return pending;
  }

  /** Entries and bytes held (tests and diagnostics). */
  stats(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private async build(key: string, generation: number, q: ListQuery, scope: OwnerScope): Promise<Buffer> {
    const body = serialize(await this.tasks.page(q, scope));
    const current = this.entries.get(key);
    // A slower build of an older generation must not replace a newer entry.
    if (current && current.generation > generation) return body;
    if (current) this.drop(key, current);
    if (body.length <= this.opts.maxBytes) {
      this.entries.set(key, { generation, body });
      this.bytes += body.length;
      for (const [k, e] of this.entries) {
        if (this.bytes <= this.opts.maxBytes) break;
        this.drop(k, e);
      }
    }
    return body;
  }

  private drop(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.body.length;
  }
}
