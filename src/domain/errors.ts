/**
 * Errors that carry their HTTP status and a stable code, so that every layer can refuse something
 * without knowing about HTTP, and one place (api/error-mapper.ts) turns them into the API's shapes.
 *
 * Two shapes exist in the Nodeum API:
 * - `model_error` (validation, not found, auth): `{messages: [...], details: {attr: [{error: code, ...}]}}`
 * - `data_management_error` (refusals of the action endpoints): `{id, code, detail, status}`
 */

/** One Rails-style attribute error: `{error: "blank"}`, `{error: "too_long", count: 255}`. */
export interface AttributeError {
  error: string;
  [extra: string]: unknown;
}

/** Collected validation problems: attribute (dotted path) → codes, plus the English sentences. */
export class ValidationErrors {
  readonly details: Record<string, AttributeError[]> = {};
  readonly messages: string[] = [];

  /** Attribute of each message, in order (to keep messages and details in step). */
  private readonly order: string[] = [];
  private readonly codes: AttributeError[] = [];

  add(attribute: string, error: AttributeError, message: string): this {
    (this.details[attribute] ??= []).push(error);
    this.messages.push(message);
    this.order.push(attribute);
    this.codes.push(error);
    return this;
  }

  /**
   * Adds `other`'s problems for attributes this set does not mention yet: the schema's verdict on an
   * attribute wins, the service's checks add what the schema cannot see.
   */
  mergeFrom(other: ValidationErrors, skip: (attribute: string) => boolean = () => false): this {
    const mine = new Set(Object.keys(this.details));
    for (const [attr, list] of Object.entries(other.details)) {
      if (mine.has(attr) || skip(attr)) continue;
      for (const e of list) this.add(attr, e, other.messageFor(attr, e) ?? `${humanAttribute(attr)} is invalid`);
    }
    return this;
  }

  /** Removes an attribute's problems (e.g. a null that means "remove this option"). */
  drop(predicate: (attribute: string) => boolean): this {
    for (const attr of Object.keys(this.details)) {
      if (!predicate(attr)) continue;
      const removed = this.details[attr]?.length ?? 0;
      delete this.details[attr];
      for (let i = 0; i < removed; i++) {
        const at = this.order.findIndex((o) => o === attr);
        if (at >= 0) {
          this.order.splice(at, 1);
          this.messages.splice(at, 1);
        }
      }
    }
    return this;
  }

  private messageFor(attr: string, e: AttributeError): string | undefined {
    const i = this.order.findIndex((o, idx) => o === attr && this.codes[idx] === e);
    return i >= 0 ? this.messages[i] : undefined;
  }

  get empty(): boolean {
    return this.messages.length === 0;
  }

  /** Throws a 422 ModelError when anything was collected. */
  throwIfAny(status = 422): void {
    if (!this.empty) throw new ModelError(status, this.messages, this.details);
  }
}

/** Base of every deliberate refusal. `status` is the HTTP status the API sends. */
export abstract class AppError extends Error {
  abstract readonly status: number;
}

/** A `model_error`: validation (422), not found (404), auth (401/403), malformed requests (400/413/415). */
export class ModelError extends AppError {
  constructor(
    readonly status: number,
    readonly messages: string[],
    readonly details: Record<string, AttributeError[]> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(messages.join('; '));
  }
}

/** A `data_management_error` from the action endpoints; `component` names who refused (`barge.dispatcher`). */
export class DataManagementError extends AppError {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly component = 'barge.dispatcher',
  ) {
    super(detail);
  }
}

/** Capitalises an attribute path the way Rails' full_messages do: `options.conflict_resolution` → `Options conflict resolution`. */
export function humanAttribute(attribute: string): string {
  const words = attribute.replace(/[._]/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** 404 in the seed's shape: `{messages:["Task not found"], details:{id:[{error:"not_found"}]}}`. */
export function notFound(resource: string, attribute = 'id'): ModelError {
  return new ModelError(404, [`${resource} not found`], { [attribute]: [{ error: 'not_found' }] });
}

/** Single-attribute 422, for refusals found one at a time. */
export function invalid(attribute: string, error: AttributeError, message: string, status = 422): ModelError {
  return new ModelError(status, [message], { [attribute]: [error] });
}

/** 401: no or bad credentials. */
export function unauthorized(message = 'Invalid or missing credentials'): ModelError {
  return new ModelError(401, [message], { authorization: [{ error: 'invalid' }] }, { 'www-authenticate': 'Basic realm="barge"' });
}

/** 403: authenticated, but not allowed (missing scope, admin only, `all` for a non-admin). */
export function forbidden(message: string, attribute = 'authorization'): ModelError {
  return new ModelError(403, [message], { [attribute]: [{ error: 'forbidden' }] });
}
