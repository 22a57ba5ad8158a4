/**
 * The CLI's error kinds. Each carries the process exit code it stands for, so that `main` can turn
 * any failure into one line on stderr and the right status — and keep stack traces for `--debug`,
 * since a user mistake or an API refusal is not a crash.
 */

/** Exit codes of `barge` (documented in the README's CLI section). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  warnings: 3,
  error: 4,
  stopped: 5,
} as const;

/** A failure with a message meant for people and an exit code; printed without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command line itself is wrong (bad argument shape, missing flag): exit 2, like commander's own errors. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

/** The API refused a request; `message` is the API's own explanation. */
export class ApiError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message, EXIT.failure);
    this.name = 'ApiError';
  }
}

/**
 * The message of an API error body: `model_error.messages` (joined) or `data_management_error.detail`,
 * falling back to the HTTP status text when the body has neither (a proxy's HTML page, say).
 */
export function apiMessage(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { messages?: unknown; detail?: unknown };
    if (Array.isArray(b.messages) && b.messages.length > 0) return b.messages.map(String).join('; ');
    if (typeof b.detail === 'string' && b.detail) return b.detail;
  }
  if (typeof body === 'string' && body.trim() && body.length < 300 && !body.trimStart().startsWith('<')) return `HTTP ${status}: ${body.trim()}`;
  return `HTTP ${status}`;
}
