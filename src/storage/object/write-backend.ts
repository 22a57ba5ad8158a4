/**
 * What the shared object-store writer (object-writer.ts) needs from a store: the "blob ops" of one write.
 *
 * Why an interface and not a subclass per store: the writer's state machine (keep the head in memory,
 * stage beyond it, verify before publishing, abort cleans up, noReplace) is the data-safety core and must
 * be the same code for every object store; what differs is only how bytes are staged and published
 * (S3: a multipart upload and CopyObject; Azure: Put Block and Put Block List). A store implements these
 * few operations and the conformance suite checks the whole.
 */
import type { Readable } from 'node:stream';
import type { StorageError } from '../errors.js';

/** Writable-style callback: called once, with the failure if there is one. */
export type WriteCallback = (error?: Error | null) => void;

/** What a staging may ask of its writer. */
export interface StagingHost {
  /** The error a failed staging request means: `aborted` when an abort was asked meanwhile, else the store's classification. */
  errorOf(err: unknown): StorageError;
  /**
   * Destroy the writer's stream with `error`. Why through the writer: a staging failure must reach the
   * producer (`pipeline`) and `commit()` the same way whatever the store.
   */
  fail(error: StorageError): void;
}

/** The temporary object once sealed, as the store describes it. */
export interface SealedTemp {
  /** Bytes the service stored (checked against the bytes sent before anything is published). */
  readonly size: number;
}

/**
 * The bytes of one write beyond the in-memory head: staged under the temporary name, invisible, then
 * published server-side. Created when the head overflows; at most one per writer.
 */
export interface Staging<P, T extends SealedTemp> {
  /** Take chunks (the writer's own copies); call `cb` when more may come (backpressure) or with the failure. */
  write(chunks: readonly Buffer[], cb: WriteCallback): void;
  /** The stream ended: resolves when every byte handed over is stored (S3: upload complete; Azure: blocks staged). */
  end(): Promise<void>;
  /** Make the staged bytes one temporary object and describe it; `null` if it vanished. */
  seal(): Promise<T | null>;
  /** The temporary object's bytes, pinned to what `seal` saw (what `verify` reads). */
  readBack(sealed: T): Promise<Readable | null>;
  /**
   * Publish the temporary object at the final name server-side, atomically, carrying `params`. With
   * `noReplace` (stores declaring it), fail with `exists` rather than replace an object that is there.
   */
  publish(sealed: T, params: P, noReplace: boolean): Promise<void>;
  /** After publication: remove the temporary object (a failure only leaves garbage for `cleanupTemp`). */
  removeTemp(): Promise<void>;
  /** Abort: wait for requests in flight (they cannot be recalled), then remove everything staged. */
  discard(error: StorageError): Promise<void>;
  /** The writer's stream is being destroyed: stop feeding the store (optional). */
  destroy?(error: Error): void;
}

/** The object at the final name, for noReplace's "is it this very copy?" question. */
export interface FinalObject {
  readonly size: number;
  /** The checksum it records (`xxhash64:<hex>` when Barge wrote it), if any. */
  readonly checksum: string | undefined;
  /** Its bytes, pinned to the version described. */
  read(): Promise<Readable | null>;
}

/** Everything one write needs from the driver and its store. */
export interface ObjectWriteBackend<P, T extends SealedTemp> {
  /** Storage path, for errors. */
  readonly path: string;
  /** Bytes kept in memory; a stream ending within them is published by ONE put at the final name. */
  readonly headLimit: number;
  /** What the published object carries (metadata, class, lock…), given the checksum known only at commit. */
  params(checksum: string): P;
  /** Start staging (the head overflowed). */
  startStaging(host: StagingHost): Staging<P, T>;
  /**
   * The digest of `data` the service checks a put against (S3: SHA-256, signed into the request as
   * `x-amz-content-sha256`; Azure: MD5, sent as Content-MD5). Why the store chooses: one digest of the
   * body is enough for the service to refuse other bytes, and which one it checks is the store's; a
   * second one would only cost CPU (an MD5 of a 16 MiB file is ~1.4 ms per MiB here, twice a SHA-256).
   */
  payloadDigest(data: Buffer): Buffer;
  /**
   * Publish `data` at the final name with one request carrying `digest` (from {@link payloadDigest},
   * taken before `verify` saw the bytes: the service refuses any other bytes). `noReplace` as in
   * {@link Staging.publish}.
   */
  putFinal(data: Buffer, digest: Buffer, params: P, noReplace: boolean): Promise<void>;
  /** What is at the final name now, or `null`. */
  finalObject(): Promise<FinalObject | null>;
  /** The store's error mapping. */
  classify(err: unknown, path: string): StorageError;
  /** Called once when the writer settles: `published` is true when the object became visible. */
  done(published: boolean): void;
}
