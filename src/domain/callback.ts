/**
 * Task callbacks (issue #11, Nodeum's `task_callback`): scripts a task runs at points of its
 * executions, and Barge's `webhook` kind. Pure rules: the types, which entry point a script must
 * define, the limits scripts run under, and the validation of a callback's attributes (the script's
 * syntax is checked by the sandbox, engine/callbacks, which the service calls).
 */
import { ValidationErrors } from './errors.js';

/** The script kinds, as Nodeum names them; `before_request_dispatched` is the filter. */
export const SCRIPT_TYPES = ['before_request_dispatched', 'after_result_received', 'before_task_executed', 'after_task_executed'] as const;
export type ScriptType = (typeof SCRIPT_TYPES)[number];

/** Every stored type: the script kinds and Barge's webhook. */
export const CALLBACK_TYPES = [...SCRIPT_TYPES, 'webhook'] as const;
export type CallbackType = (typeof CALLBACK_TYPES)[number];

/** Accepted on input: the stored types and Nodeum's legacy `filter` (stored as before_request_dispatched). */
export const CALLBACK_INPUT_TYPES = [...CALLBACK_TYPES, 'filter'] as const;

export const CALLBACK_LANGUAGES = ['javascript'] as const;

/** What a webhook hears (its deliveries are engine/webhooks'). */
export const WEBHOOK_EVENTS = ['started', 'finished', 'failed_file'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * What scripts run under (docs/operations.md). Why these numbers: a filter runs on every walked
 * entry, so a call must stay far below a millisecond to keep up with a walk (~50,000 entries/s), and
 * 100 ms is a thousand times that — room for a real script, not for a runaway one. 32 MiB holds any
 * sensible script's data and bounds what a runaway one takes from the dispatcher's host.
 */
export const CALLBACK_LIMITS = {
  /** Memory of one execution's scripts together (one QuickJS runtime). */
  memoryBytes: 32 * 1024 * 1024,
  /** Interpreter stack (deep recursion is a stack overflow, not a crash). */
  stackBytes: 256 * 1024,
  /** Time one call may take before it is interrupted. */
  callMs: 100,
  /** Time a script's top level may take (once per execution: it may build tables for its calls). */
  loadMs: 1000,
  /**
   * A call stuck inside one built-in operation never reaches an interrupt check (QuickJS checks
   * between bytecode instructions): past this long its thread is ended and the sandbox started again.
   */
  hardStopMs: 1000,
  /** Threads ended so in one execution before its scripts are disabled (every later call fails at once). */
  hardStopsBeforeDisable: 3,
  /** Calls in a row that ran out of time before a callback is disabled for the rest of the execution. */
  timeoutsBeforeDisable: 20,
  /** Longest script accepted, in characters. */
  scriptChars: 65_536,
} as const;

/** The function a script of this type must define: `filter` (or `run`) for the filter kind, `run` for the others. */
export function entryPoints(type: ScriptType): readonly string[] {
  return type === 'before_request_dispatched' ? ['filter', 'run'] : ['run'];
}

/** Nodeum's legacy name → the stored type. */
export function normalizeCallbackType(type: string): string {
  return type === 'filter' ? 'before_request_dispatched' : type;
}

export function isScriptType(type: string): type is ScriptType {
  return (SCRIPT_TYPES as readonly string[]).includes(type);
}

/** A callback as stored, decoded (the secret stays sealed; `hasSecret` says whether one is set). */
export interface CallbackInput {
  type: CallbackType;
  language: 'javascript' | null;
  script: string | null;
  url: string | null;
  events: WebhookEvent[] | null;
  /** Webhooks: a new secret (plain), `null` to keep none, undefined to keep the stored one. */
  secret?: string | null;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/**
 * Reads a callback's attributes: `body` merged over `current` (a partial PUT keeps what it does not
 * name). Errors go to `errors` with the API's codes; the result is undefined when any was found.
 * Attributes of the other kind are refused rather than ignored (a `script` on a webhook is a mistake
 * the caller should hear of), except nulls.
 */
export function readCallback(body: unknown, current: Partial<CallbackInput> | undefined, errors: ValidationErrors): CallbackInput | undefined {
  const b = isObject(body) ? body : {};
  const pick = <T>(k: string): T | undefined => (b[k] !== undefined ? (b[k] as T) : (current as Record<string, unknown> | undefined)?.[k] as T | undefined);
  const rawType = pick<unknown>('type');
  const start = errors.messages.length;
  if (blank(rawType)) {
    errors.add('type', { error: 'blank' }, 'Type can\'t be blank');
    return undefined;
  }
  if (typeof rawType !== 'string' || !(CALLBACK_INPUT_TYPES as readonly string[]).includes(rawType)) {
    errors.add('type', { error: 'inclusion', value: rawType }, `Type must be one of ${CALLBACK_INPUT_TYPES.join(', ')}`);
    return undefined;
  }
  const type = normalizeCallbackType(rawType) as CallbackType;
  // A type change drops what belonged to the old kind: only what the body itself says counts then.
  const sameKind = current?.type !== undefined && (current.type === 'webhook') === (type === 'webhook');
  const get = <T>(k: string): T | undefined => (sameKind ? pick<T>(k) : (b[k] as T | undefined));
  if (type === 'webhook') {
    for (const k of ['language', 'script']) if (!blank(b[k])) errors.add(k, { error: 'present' }, `${k === 'script' ? 'Script' : 'Language'} is for script callbacks; a webhook has url, secret and events`);
    const url = get<unknown>('url');
    if (blank(url)) errors.add('url', { error: 'blank' }, 'Url can\'t be blank');
    else if (typeof url !== 'string') errors.add('url', { error: 'invalid' }, 'Url must be a string');
    else if (url.length > 2048) errors.add('url', { error: 'too_long', count: 2048 }, 'Url is too long (maximum is 2048 characters)');
    else if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) errors.add('url', { error: 'invalid' }, 'Url must be an http:// or https:// URL');
    const events = readEvents(get<unknown>('events'), errors);
    let secret: string | null | undefined;
    if (b.secret !== undefined) {
      if (b.secret !== null && typeof b.secret !== 'string') errors.add('secret', { error: 'invalid' }, 'Secret must be a string');
      else if (typeof b.secret === 'string' && b.secret.length > 1024) errors.add('secret', { error: 'too_long', count: 1024 }, 'Secret is too long (maximum is 1024 characters)');
      else secret = blank(b.secret) ? null : (b.secret as string);
    }
    const hasSecret = secret !== undefined ? secret !== null : sameKind && (current as { hasSecret?: boolean } | undefined)?.hasSecret === true;
    if (!hasSecret && !errors.details.secret) errors.add('secret', { error: 'blank' }, 'Secret can\'t be blank (it signs every delivery)');
    if (errors.messages.length > start) return undefined;
    return { type, language: null, script: null, url: url as string, events: events as WebhookEvent[], ...(secret !== undefined ? { secret } : {}) };
  }
  for (const k of ['url', 'events', 'secret']) if (!blank(b[k]) && !(Array.isArray(b[k]) && (b[k] as unknown[]).length === 0)) errors.add(k, { error: 'present' }, `${k.charAt(0).toUpperCase() + k.slice(1)} is for webhooks; a script callback has language and script`);
  const language = get<unknown>('language') ?? 'javascript';
  if (!(CALLBACK_LANGUAGES as readonly unknown[]).includes(language)) errors.add('language', { error: 'inclusion', value: language }, 'Language must be javascript');
  const script = get<unknown>('script');
  if (blank(script)) errors.add('script', { error: 'blank' }, 'Script can\'t be blank');
  else if (typeof script !== 'string') errors.add('script', { error: 'invalid' }, 'Script must be a string');
  else if (script.length > CALLBACK_LIMITS.scriptChars) errors.add('script', { error: 'too_long', count: CALLBACK_LIMITS.scriptChars }, `Script is too long (maximum is ${CALLBACK_LIMITS.scriptChars} characters)`);
  if (errors.messages.length > start) return undefined;
  return { type, language: 'javascript', script: script as string, url: null, events: null, secret: null };
}

function readEvents(raw: unknown, errors: ValidationErrors): WebhookEvent[] | undefined {
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    errors.add('events', { error: 'blank' }, `Events can't be blank (one or more of ${WEBHOOK_EVENTS.join(', ')})`);
    return undefined;
  }
  if (!Array.isArray(raw)) {
    errors.add('events', { error: 'invalid' }, 'Events must be a list');
    return undefined;
  }
  const bad = raw.filter((e) => !(WEBHOOK_EVENTS as readonly unknown[]).includes(e));
  if (bad.length > 0) {
    errors.add('events', { error: 'inclusion', value: bad[0] }, `Events must be among ${WEBHOOK_EVENTS.join(', ')}`);
    return undefined;
  }
  return [...new Set(raw as WebhookEvent[])];
}

/** Where a script failed: its message and, when known, the line in the script. */
export interface ScriptProblem {
  message: string;
  line?: number;
}

/** The 422 sentence for a script that does not compile or does not define its entry point. */
export function scriptProblemMessage(p: ScriptProblem): string {
  return p.line !== undefined ? `Script line ${p.line}: ${p.message}` : `Script ${p.message}`;
}
