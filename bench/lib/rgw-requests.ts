/**
 * S3 requests a run sent, counted from the RGW's access log (the `beast:` lines radosgw writes at
 * debug level 1, which scripts/s3-rgw-up.sh leaves on): the log's size is noted before the run, the
 * lines appended after it that address the run's bucket are classified by method and query. Only
 * that bucket's lines count, so other clients of the same gateway do not pollute the figures.
 *
 *   BENCH_S3_RGW_LOG  the radosgw log (default /tmp/rgw-test/log/client.rgw.a.log); absent → no counts
 *
 * PUT without a part number is a PutObject or a CopyObject (the copy source is a header the log does
 * not show). The lines' start times and latencies also give the requests in flight at the gateway.
 */
import { open, stat } from 'node:fs/promises';

const LINE = /beast: \S+ .*?"(GET|PUT|POST|HEAD|DELETE) \/([^/?\s"]+)(\S*) HTTP\/[\d.]+" (\d{3})/;

export interface RequestCounts {
  total: number;
  /** Request kind → count. */
  byKind: Map<string, number>;
  /** Answers with a 4xx/5xx status (a 404 HEAD is a normal "does not exist"). */
  errors: number;
  /**
   * Requests in flight at the gateway on average: the sum of the logged latencies over the time from the
   * first request's start to the last one's end. Why: it tells a client that keeps the gateway busy from
   * one whose time goes between its requests. Undefined when the log lines carry no latency.
   */
  inFlight: number | undefined;
}

const LATENCY = /\[(\d+)\/(\w+)\/(\d+):(\d+):(\d+):(\d+)\.(\d+) [^\]]*\].* latency=([\d.]+)s/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Start (ms since the epoch, UTC as logged) and latency (ms) of a beast line, if it has them. */
function timing(line: string): { start: number; latency: number } | undefined {
  const m = LATENCY.exec(line);
  if (!m) return undefined;
  const [, d, mon, y, h, mi, sec, frac, lat] = m as unknown as string[];
  const start = Date.UTC(Number(y), MONTHS.indexOf(mon as string), Number(d), Number(h), Number(mi), Number(sec), Number((frac as string).padEnd(3, '0').slice(0, 3)));
  return { start, latency: Number(lat) * 1000 };
}

function kindOf(method: string, rest: string): string {
  const q = rest.includes('?') ? rest.slice(rest.indexOf('?') + 1) : '';
  const key = rest.split('?')[0] ?? '';
  switch (method) {
    case 'HEAD': return 'HEAD object';
    case 'GET': return /(^|&)list-type=2/.test(q) || key === '' || key === '/' ? 'LIST' : 'GET object';
    case 'PUT': return /(^|&)partNumber=/.test(q) ? 'UploadPart' : key === '' || key === '/' ? 'PUT bucket' : 'PUT object/copy';
    case 'POST': return /(^|&)uploads(=|&|$)/.test(q) ? 'CreateMultipart' : /(^|&)uploadId=/.test(q) ? 'CompleteMultipart' : /(^|&)delete/.test(q) ? 'DeleteObjects' : 'POST';
    case 'DELETE': return /(^|&)uploadId=/.test(q) ? 'AbortMultipart' : 'DELETE object';
    default: return method;
  }
}

export class RgwRequestLog {
  private constructor(private readonly file: string | undefined) {}

  /** The log from the environment, or a counter that counts nothing when it is not readable. */
  static async fromEnv(): Promise<RgwRequestLog> {
    const file = process.env.BENCH_S3_RGW_LOG || '/tmp/rgw-test/log/client.rgw.a.log';
    const ok = await stat(file).then((s) => s.isFile(), () => false);
    if (!ok) console.log(`  ! ${file} is not readable: S3 request counts are not reported (set BENCH_S3_RGW_LOG)`);
    return new RgwRequestLog(ok ? file : undefined);
  }

  get available(): boolean {
    return this.file !== undefined;
  }

  /** The log's current size: pass it to `count` after the run. */
  async mark(): Promise<number> {
    return this.file === undefined ? 0 : (await stat(this.file)).size;
  }

  /** Requests on `bucket` logged after `from`; waits a moment for the gateway to flush its log. */
  async count(from: number, bucket: string): Promise<RequestCounts | undefined> {
    if (this.file === undefined) return undefined;
    await new Promise((r) => setTimeout(r, 1500));
    const fh = await open(this.file, 'r');
    const byKind = new Map<string, number>();
    let total = 0;
    let errors = 0;
    let busyMs = 0;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    try {
      let rest = '';
      const buf = Buffer.allocUnsafe(4 << 20);
      for (let pos = from; ;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        const lines = (rest + buf.toString('utf8', 0, bytesRead)).split('\n');
        rest = lines.pop() ?? '';
        for (const l of lines) {
          const m = LINE.exec(l);
          if (!m || m[2] !== bucket) continue;
          const kind = kindOf(m[1] as string, m[3] as string);
          byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
          total++;
          if (Number(m[4]) >= 400) errors++;
          const t = timing(l);
          if (t) {
            busyMs += t.latency;
            first = Math.min(first, t.start);
            last = Math.max(last, t.start + t.latency);
          }
        }
      }
    } finally {
      await fh.close();
    }
    return { total, byKind, errors, inFlight: last > first ? busyMs / (last - first) : undefined };
  }
}

/** `PUT object/copy 20,000, LIST 21, …` sorted by count. */
export function describeCounts(c: RequestCounts, perFile: number): string {
  const parts = [...c.byKind.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n} (${(n / perFile).toFixed(2)}/file)`);
  return `${parts.join(', ')}${c.errors ? `; ${c.errors} answered 4xx/5xx` : ''}${c.inFlight === undefined ? '' : `; ${c.inFlight.toFixed(1)} in flight at the gateway on average`}`;
}
