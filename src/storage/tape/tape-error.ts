/**
 * Errors of the tape layer (medium, drives, changer). Why a code set of its own: the engine's tape
 * integration decides from the code alone what to do next — `no_space` sends the file whole to the next
 * cartridge of the pool, `too_large` fails that file, `write_protected`/`offline`/`cartridge_full` pick
 * another cartridge, `drive_busy` waits — and the API shows the code as a stable reason. Values are part
 * of the contract: never rename one.
 */
export type TapeErrorCode =
  /** The file does not fit in what is left of this cartridge; it fits an empty one (try the next cartridge). */
  | 'no_space'
  /** The file is larger than a whole cartridge of this capacity: no cartridge can take it. */
  | 'too_large'
  /** Not even an empty file fits: the cartridge is full and is never opened for writing. */
  | 'cartridge_full'
  /** The cartridge's write-protect tab is set. */
  | 'write_protected'
  /** A format of a cartridge that holds sessions without `overwrite`. */
  | 'holds_data'
  /** The cartridge has been ejected (it is on the shelf, not in the library). */
  | 'offline'
  /** No cartridge with this barcode in this library. */
  | 'not_found'
  /** The drive has no cartridge loaded. */
  | 'not_loaded'
  /** A load into a drive that already holds a cartridge, a move of a cartridge that is in a drive. */
  | 'drive_busy'
  /** Every slot (or mailslot) is taken. */
  | 'no_free_slot'
  /** The cartridge is not where the operation needs it (a load from a mailslot, an eject from a slot). */
  | 'wrong_location'
  /** A path that cannot be a tar member name (empty, absolute, `..`, NUL) or one already written in this session. */
  | 'invalid_path'
  /** The source gave more or fewer bytes than announced. */
  | 'size_mismatch'
  /** Bytes read back do not match the checksum recorded at write time. */
  | 'checksum_mismatch'
  /** The cartridge's content does not follow the format (an index that contradicts the headers before it). */
  | 'corrupt'
  /** A library directory outside the allowed roots, or one that already holds files. */
  | 'path_not_allowed'
  | 'path_not_empty'
  | 'invalid_argument'
  | 'aborted'
  | 'io';

const RETRYABLE: ReadonlySet<TapeErrorCode> = new Set<TapeErrorCode>(['io', 'size_mismatch', 'checksum_mismatch']);

export class TapeError extends Error {
  override readonly name = 'TapeError';
  readonly retryable: boolean;
  constructor(
    readonly code: TapeErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? RETRYABLE.has(code);
  }
}

/** The error to throw when `signal` fired: a TapeError `aborted` (callers branch on codes only). */
export function abortedError(signal: AbortSignal | undefined): TapeError {
  return new TapeError('aborted', 'Aborted', { cause: signal?.reason });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}
