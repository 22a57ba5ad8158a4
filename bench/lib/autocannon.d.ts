/**
 * The slice of autocannon 8's programmatic API the benchmarks use. The package ships no types and
 * @types/autocannon is not a dependency; declaring only what we read keeps `tsc` strict here.
 */
declare module 'autocannon' {
  export interface Options {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    method?: string;
    headers?: Record<string, string>;
    pipelining?: number;
    /** Seconds before a request counts as a timeout. */
    timeout?: number;
  }

  /** Percentiles of an hdr histogram; latencies are whole milliseconds (lowestDiscernibleValue 1). */
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
  }

  export interface Result {
    duration: number;
    /** Includes the timeouts. */
    errors: number;
    timeouts: number;
    /** Responses with a status outside 2xx (their latencies are not recorded). */
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram;
    requests: Histogram & { sent: number };
    throughput: Histogram;
  }

  /** The run: a thenable event emitter (no callback given). */
  export interface Instance extends PromiseLike<Result> {
    /** Every response; `responseTime` is in fractional milliseconds (process.hrtime). */
    on(event: 'response', listener: (client: object, statusCode: number, resBytes: number, responseTime: number) => void): this;
    /** Socket errors and timeouts (a timeout is an Error 'request timed out'). */
    on(event: 'reqError', listener: (error: Error) => void): this;
    /** Ends the run at its next sample tick (≤ 1 s later). */
    stop(): void;
  }

  function autocannon(opts: Options): Instance;
  export default autocannon;
}
