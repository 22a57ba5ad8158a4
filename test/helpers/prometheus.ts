/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), so metrics tests assert on
 * parsed samples — names, label sets, values, declared types — rather than on substrings that would
 * also match a HELP text or a neighbour's labels. Any line it cannot read fails the test.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** Metric family name → its `# TYPE` (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
  /** The samples named `name` whose labels include every label of `match`. */
  find(name: string, match?: Record<string, string>): Sample[];
  /** The one sample named `name` with exactly these labels; throws when it is absent. */
  value(name: string, labels?: Record<string, string>): number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/** Values as Prometheus reads them (Go's ParseFloat): NaN and Inf in any case (prom-client writes `Nan`). */
function parseValue(raw: string, line: string): number {
  const special = raw.toLowerCase();
  if (special === '+inf' || special === 'inf') return Infinity;
  if (special === '-inf') return -Infinity;
  if (special === 'nan') return NaN;
  const n = Number(raw);
  if (raw === '' || Number.isNaN(n)) throw new Error(`bad sample value ${JSON.stringify(raw)} in: ${line}`);
  return n;
}

/** Reads `{a="x",b="y\"z"}` from the start of `s`: the labels and what follows them. */
function parseLabels(s: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    while (s[i] === ' ') i++;
    if (s[i] === '}') return { labels, rest: s.slice(i + 1) };
    const m = NAME.exec(s.slice(i));
    if (!m || s[i + m[0].length] !== '=' || s[i + m[0].length + 1] !== '"') throw new Error(`bad label in: ${line}`);
    i += m[0].length + 2;
    let v = '';
    for (;;) {
      const c = s[i];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const e = s[i + 1];
        v += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : (() => { throw new Error(`bad escape in: ${line}`); })();
        i += 2;
      } else {
        v += c;
        i += 1;
      }
    }
    if (m[0] in labels) throw new Error(`label ${m[0]} twice in: ${line}`);
    labels[m[0]] = v;
    i += 1;
    if (s[i] === ',') i += 1;
    else if (s[i] !== '}') throw new Error(`expected , or } in: ${line}`);
  }
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (t) types.set(t[1] as string, t[2] as string);
      else if (line.startsWith('# TYPE')) throw new Error(`bad TYPE line: ${line}`);
      continue; // HELP, or any other comment
    }
    const m = NAME.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    let rest = line.slice(m[0].length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const parts = rest.trim().split(/\s+/);
    if (parts.length < 1 || parts.length > 2) throw new Error(`bad sample line: ${line}`);
    samples.push({ name: m[0], labels, value: parseValue(parts[0] as string, line) });
  }
  return {
    samples,
    types,
    find: (name, match = {}) => samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)),
    value(name, labels = {}) {
      const hit = samples.filter((s) => s.name === name && sameLabels(s.labels, labels));
      if (hit.length !== 1) throw new Error(`${hit.length} samples ${name}${JSON.stringify(labels)}; samples named so: ${JSON.stringify(samples.filter((s) => s.name === name))}`);
      return (hit[0] as Sample).value;
    },
  };
}
