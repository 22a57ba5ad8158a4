/**
 * What the API says went wrong, in the words a person reads. The API has two error shapes:
 * `model_error` ({messages, details: {attribute: [{error, value?, count?}]}}) for requests it refuses,
 * and `data_management_error` ({id, code, detail, status}) for task actions the engine refuses. Forms
 * put each `details` entry next to its field (keys such as `options.conflict_resolution` or
 * `sources[0].storage_id`), so this module is pure and unit tested.
 */
export interface AttributeError {
  error: string;
  value?: unknown;
  count?: number;
}

export interface ModelErrorBody {
  messages: string[];
  details: Record<string, AttributeError[]>;
}

export interface DataManagementErrorBody {
  id?: string;
  code?: number;
  detail: string;
  status?: string;
}

/** A failed API call: HTTP status, a one-line summary and the per-field messages. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string[]> = {},
    readonly messages: string[] = [message],
    readonly body: unknown = undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function isModelError(body: unknown): body is ModelErrorBody {
  return typeof body === 'object' && body !== null && Array.isArray((body as ModelErrorBody).messages) && typeof (body as ModelErrorBody).details === 'object';
}

export function isDataManagementError(body: unknown): body is DataManagementErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as DataManagementErrorBody).detail === 'string';
}

/** The API's own spelling of an attribute at the start of a message (`options.file_checksum` → `Options file checksum`). */
export function humanAttribute(attribute: string): string {
  const words = attribute.replace(/[._]/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Text for an error code when the API's message cannot be matched to the attribute. */
export function describeCode(e: AttributeError): string {
  const v = e.value === undefined || e.value === null ? '' : ` (${String(e.value)})`;
  switch (e.error) {
    case 'blank': return "can't be blank";
    case 'inclusion': return `is not one of the allowed values${v}`;
    case 'not_found': return `does not exist${v}`;
    case 'taken': return 'is already taken';
    case 'too_long': return `is too long (maximum ${e.count ?? '?'})`;
    case 'too_short': return `is too short (minimum ${e.count ?? '?'})`;
    case 'not_a_number': return 'must be a number';
    case 'not_an_integer': return 'must be a whole number';
    case 'greater_than': return `must be greater than ${e.count ?? 0}`;
    case 'greater_than_or_equal_to': return `must be ${e.count ?? 0} or more`;
    case 'less_than_or_equal_to': return `must be ${e.count ?? 0} or less`;
    case 'frozen': return 'cannot change while the task is running';
    default: return `is invalid${v}`;
  }
}

/**
 * Maps `details` to messages per attribute key. The API writes one message per problem starting with
 * the human attribute name, so the matching message (without that prefix) is preferred; a code-based
 * text is the fallback.
 */
export function fieldErrors(body: ModelErrorBody): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const unused = [...body.messages];
  for (const [attr, errors] of Object.entries(body.details ?? {})) {
    const prefix = humanAttribute(attr).toLowerCase() + ' ';
    out[attr] = errors.map((e) => {
      const i = unused.findIndex((m) => m.toLowerCase().startsWith(prefix));
      if (i >= 0) {
        const [m] = unused.splice(i, 1);
        return (m as string).slice(prefix.length);
      }
      return describeCode(e);
    });
  }
  return out;
}

/** Every message for `key` or nested under it (`sources[0]` gathers `sources[0].storage_id`…). */
export function errorsUnder(fields: Record<string, string[]>, key: string): string[] {
  return Object.entries(fields)
    .filter(([k]) => k === key || k.startsWith(key + '.') || k.startsWith(key + '['))
    .flatMap(([, v]) => v);
}

/** An ApiError from a response status and its parsed body (whatever shape it has). */
export function toApiError(status: number, body: unknown, statusText = ''): ApiError {
  if (isModelError(body) && body.messages.length > 0) {
    return new ApiError(status, body.messages.join('. '), fieldErrors(body), body.messages, body);
  }
  if (isDataManagementError(body)) return new ApiError(status, body.detail, {}, [body.detail], body);
  if (status === 0) return new ApiError(0, 'Barge cannot be reached. Check that the server is running.');
  return new ApiError(status, `The server answered ${status}${statusText ? ` ${statusText}` : ''}.`, {}, undefined, body);
}

/**
 * The field errors still worth showing: a field the user changed since the failed save loses its
 * messages (`cleared` holds keys or prefixes: `sources[0]` clears `sources[0].storage_id`).
 */
export function visibleErrors(fields: Record<string, string[]>, cleared: readonly string[]): Record<string, string[]> {
  const gone = (k: string) => cleared.some((c) => k === c || k.startsWith(c + '.') || k.startsWith(c + '['));
  return Object.fromEntries(Object.entries(fields).filter(([k]) => !gone(k)));
}

/** One line per remaining problem, for a summary above the form. */
export function summarize(fields: Record<string, string[]>): string[] {
  return Object.entries(fields).flatMap(([k, ms]) => ms.map((m) => `${humanAttribute(k)} ${m}`));
}
