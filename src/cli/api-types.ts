/**
 * The API's shapes as the CLI reads them, taken from the types generated from Barge's OpenAPI
 * document (`npm run gen:openapi`), not declared again here: a field renamed or removed in the
 * contract breaks the CLI's build, not its users. The document marks almost every field optional
 * (the seed declares no `required`); `Present` names the fields the CLI relies on and Barge always
 * sends — naming one the schema does not have is a compile error too.
 */
import type { components } from '../api/openapi/types.js';

type Schemas = components['schemas'];

/** `T` with the fields `K` present (and still typed by the schema). */
export type Present<T, K extends keyof T> = T & { [P in K]-?: Exclude<T[P], undefined> };

export type Execution = Present<Schemas['task_execution'], 'id' | 'status' | 'size_todo' | 'size_done' | 'nodes_todo' | 'nodes_done' | 'files_failed' | 'bandwidth' | 'created_at'>;
export type Endpoint = Present<Schemas['task_endpoint'], 'type' | 'node_paths'>;
/** `T` with the field `K` read as `V` (a nested shape the CLI narrows the same way). */
export type Narrow<T, K extends keyof T, V> = Omit<T, K> & { [P in K]: V };

type TaskFields = Present<Schemas['task'], 'id' | 'name' | 'workflow_type' | 'workflow_action' | 'options' | 'metadata' | 'user' | 'created_at' | 'updated_at'>;
export type Task = Narrow<Narrow<Narrow<TaskFields, 'sources', Endpoint[]>, 'destinations', Endpoint[]>, 'last_execution', Execution | undefined>;
export type LedgerFile = Present<Schemas['task_execution_file'], 'src_path' | 'size' | 'status' | 'attempts'>;
/** One `file_failed` event of the events stream: a ledger row. */
export type FailedFile = Present<Schemas['task_execution_file'], 'src_path'>;
