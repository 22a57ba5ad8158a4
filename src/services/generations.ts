/**
 * The store's generations (migration 0004), as the caches of this layer consume them. Each grows,
 * in the writing transaction and whoever writes, on every change its caches depend on:
 * - `tasks`: anything a task list shows (tasks, endpoints, executions, owners' usernames);
 * - `auth`: anything a resolved credential depends on (passwords, usernames, admin flags, users,
 *   API key scopes and revocations).
 *
 * A request reads them once (`GenerationSource.current`, a few microseconds on SQLite) before it
 * reads any data, and a cache entry filed under an equal generation is exactly what the store holds
 * now. Reading first matters: a write committed between the read and the data makes the entry newer
 * than its generation (the next request sees a higher one and misses), never older.
 */
export interface Generations {
  readonly tasks: number;
  readonly auth: number;
}

export interface GenerationSource {
  current(): Promise<Generations>;
}
