/**
 * Live progress of one execution in this process: bytes in flight, and a moving window of samples
 * for bandwidth (bytes/s over the last few seconds) and ETA.
 */
export class Accounting {
  private samples: Array<{ t: number; bytes: number }> = [];

  constructor(private readonly windowMs = 5000) {}

  /** Records the total bytes moved at time `t` and returns the bandwidth over the window. */
  sample(t: number, totalBytes: number): number {
    this.samples.push({ t, bytes: totalBytes });
    while (this.samples.length > 2 && (this.samples[0] as { t: number }).t < t - this.windowMs) this.samples.shift();
    const first = this.samples[0] as { t: number; bytes: number };
    const dt = (t - first.t) / 1000;
    return dt > 0 ? Math.max(0, (totalBytes - first.bytes) / dt) : 0;
  }

  static eta(todo: number, done: number, bandwidth: number): number | null {
    if (bandwidth <= 0) return null;
    return Math.max(0, Math.round((todo - done) / bandwidth));
  }
}
