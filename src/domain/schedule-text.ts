/**
 * The text of a schedule's `rrule` (RFC 5545): a `DTSTART` line, one `RRULE` line, and any `EXDATE` /
 * `RDATE` lines, read and checked here before the recurrence library sees them. Why our own pass:
 * rrule-temporal is lenient where an API must not be — it silently takes the first of two RRULEs,
 * accepts `COUNT=-3`, `BYHOUR=25` or unknown parts — and its messages do not say which line is wrong.
 * Everything this accepts is handed on as normalized text (unfolded lines, upper-case names).
 */

/** Why a rule is refused, as a stable code (the API's `reason` on `rrule`). */
export type RuleRefusal = 'invalid_rule' | 'finer_than_one_second' | 'no_future_occurrence';

/** A refusal of the text, with the sentence the API sends on `rrule`. */
export class RuleTextError extends Error {
  constructor(message: string, readonly reason: RuleRefusal = 'invalid_rule') {
    super(message);
  }
}

/** The properties a schedule's text may hold. */
const PROPERTIES = ['DTSTART', 'RRULE', 'EXDATE', 'RDATE'] as const;

/** Frequencies RFC 5545 defines (the finest is one second). */
export const FREQUENCIES = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY', 'SECONDLY'] as const;

const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

/** Integer list parts and the magnitudes they allow (negative values count from the end where RFC 5545 allows it). */
const INT_LISTS: Record<string, { min: number; max: number; signed: boolean }> = {
  BYSECOND: { min: 0, max: 60, signed: false },
  BYMINUTE: { min: 0, max: 59, signed: false },
  BYHOUR: { min: 0, max: 23, signed: false },
  BYMONTHDAY: { min: 1, max: 31, signed: true },
  BYYEARDAY: { min: 1, max: 366, signed: true },
  BYWEEKNO: { min: 1, max: 53, signed: true },
  BYSETPOS: { min: 1, max: 366, signed: true },
};

const KNOWN_PARTS = new Set(['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYDAY', 'BYMONTH', 'WKST', 'RSCALE', 'SKIP', ...Object.keys(INT_LISTS)]);

const DATE_TIME = /^\d{8}T\d{6}Z?$/;
const DATE = /^\d{8}$/;

/** What the checked text holds. */
export interface RuleText {
  /** The normalized text: one property per line, `\n`-separated. */
  text: string;
  /** The RRULE's parts, by upper-case name. */
  parts: Record<string, string>;
  /** DTSTART's TZID, or undefined (a `Z` time, a floating time or a date: read as UTC). */
  tzid: string | undefined;
  /** DTSTART has neither TZID nor `Z`: RFC 5545's floating time, which Barge reads as UTC. */
  floating: boolean;
}

/** Splits `NAME;PARAM=x:value` (a TZID may hold no colon, so the first colon ends the name part). */
function splitLine(line: string): { name: string; params: Record<string, string>; value: string } {
  const colon = line.indexOf(':');
  if (colon < 0) throw new RuleTextError(`line "${line}" is not NAME:VALUE`);
  const [name = '', ...params] = line.slice(0, colon).split(';');
  const out: Record<string, string> = {};
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new RuleTextError(`parameter "${p}" of ${name} is not NAME=VALUE`);
    out[p.slice(0, eq).toUpperCase()] = p.slice(eq + 1);
  }
  return { name: name.trim().toUpperCase(), params: out, value: line.slice(colon + 1).trim() };
}

/** RFC 5545 lines: CRLF or LF, a line starting with a space or tab continues the previous one. */
function unfold(text: string): string[] {
  const lines: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (/^[ \t]/.test(raw) && lines.length > 0) lines[lines.length - 1] += raw.slice(1);
    else if (raw.trim() !== '') lines.push(raw.trim());
  }
  return lines;
}

function checkDateValue(name: string, value: string, params: Record<string, string>): void {
  const isDate = params.VALUE?.toUpperCase() === 'DATE';
  for (const v of value.split(',')) {
    if (isDate ? !DATE.test(v) : !DATE_TIME.test(v)) {
      const shape = isDate ? 'YYYYMMDD' : 'YYYYMMDDTHHMMSS, optionally followed by Z (whole seconds: nothing finer than one second)';
      const fraction = !isDate && /^\d{8}T\d{6}[.,]\d+Z?$/.test(v);
      throw new RuleTextError(`${name} value "${v}" is not a date-time of the form ${shape}`, fraction ? 'finer_than_one_second' : 'invalid_rule');
    }
    if (params.TZID !== undefined && v.endsWith('Z')) throw new RuleTextError(`${name} cannot have both a TZID and a UTC time (Z)`);
  }
}

function checkInt(part: string, raw: string, min: number, max: number, signed: boolean): void {
  if (!/^[+-]?\d+$/.test(raw)) throw new RuleTextError(`${part}=${raw}: "${raw}" is not an integer`);
  const n = Number(raw);
  const magnitude = Math.abs(n);
  if ((!signed && n < 0) || magnitude < min || magnitude > max) {
    throw new RuleTextError(`${part}=${raw}: each value must be ${signed ? `between ${min} and ${max} or between -${max} and -${min}` : `between ${min} and ${max}`}`);
  }
}

function checkParts(parts: Record<string, string>): void {
  const freq = parts.FREQ;
  if (freq === undefined) throw new RuleTextError('RRULE has no FREQ');
  if (!(FREQUENCIES as readonly string[]).includes(freq)) {
    if (/^(MILLI|MICRO|NANO)SECONDLY$/.test(freq) || freq.endsWith('SECONDLY')) {
      throw new RuleTextError(`FREQ=${freq} is finer than one second: the finest frequency is SECONDLY`, 'finer_than_one_second');
    }
    throw new RuleTextError(`FREQ=${freq} is not a frequency (${FREQUENCIES.join(', ')})`);
  }
  for (const [name, value] of Object.entries(parts)) {
    if (!KNOWN_PARTS.has(name)) throw new RuleTextError(`RRULE part ${name} is not an RFC 5545 rule part`);
    if (value === '') throw new RuleTextError(`RRULE part ${name} has no value`);
    const range = INT_LISTS[name];
    if (range) for (const v of value.split(',')) checkInt(name, v, range.min, range.max, range.signed);
  }
  if (parts.INTERVAL !== undefined) checkInt('INTERVAL', parts.INTERVAL, 1, 1_000_000_000, false);
  if (parts.COUNT !== undefined) checkInt('COUNT', parts.COUNT, 1, 1_000_000_000, false);
  if (parts.COUNT !== undefined && parts.UNTIL !== undefined) throw new RuleTextError('RRULE cannot have both COUNT and UNTIL');
  if (parts.UNTIL !== undefined && !DATE_TIME.test(parts.UNTIL) && !DATE.test(parts.UNTIL)) {
    throw new RuleTextError(`UNTIL=${parts.UNTIL} is not a date (YYYYMMDD) or a date-time (YYYYMMDDTHHMMSSZ)`);
  }
  if (parts.WKST !== undefined && !WEEKDAYS.includes(parts.WKST)) throw new RuleTextError(`WKST=${parts.WKST} is not a weekday (${WEEKDAYS.join(', ')})`);
  if (parts.BYMONTH !== undefined) {
    // Leap months (`5L`) and a 13th month exist only in the calendars of RSCALE (RFC 7529).
    const last = parts.RSCALE !== undefined ? 13 : 12;
    for (const v of parts.BYMONTH.split(',')) {
      const ok = (parts.RSCALE !== undefined ? /^\d{1,2}L?$/ : /^\d{1,2}$/).test(v) && Number(v.replace('L', '')) >= 1 && Number(v.replace('L', '')) <= last;
      if (!ok) throw new RuleTextError(`BYMONTH=${parts.BYMONTH}: each value must be a month between 1 and ${last}`);
    }
  }
  if (parts.BYDAY !== undefined) {
    for (const v of parts.BYDAY.split(',')) {
      const m = /^([+-]?\d{1,2})?([A-Z]{2})$/.exec(v);
      if (!m || !WEEKDAYS.includes(m[2] as string) || (m[1] !== undefined && (Number(m[1]) === 0 || Math.abs(Number(m[1])) > 53))) {
        throw new RuleTextError(`BYDAY=${parts.BYDAY}: "${v}" is not a weekday (${WEEKDAYS.join(', ')}, optionally preceded by an ordinal such as 1MO or -1FR)`);
      }
    }
  }
}

/**
 * Reads a schedule's text. Refuses (RuleTextError, with the reason) anything but one DTSTART, one
 * RRULE and optional EXDATE/RDATE lines; checks the rule's parts and values.
 */
export function readRuleText(input: string): RuleText {
  if (input.trim() === '') throw new RuleTextError('the rule is empty: give a DTSTART line and an RRULE line');
  const lines = unfold(input);
  const out: string[] = [];
  let dtstart: { params: Record<string, string>; value: string } | undefined;
  let parts: Record<string, string> | undefined;
  for (const line of lines) {
    const { name, params, value } = splitLine(line);
    if (!(PROPERTIES as readonly string[]).includes(name)) throw new RuleTextError(`${name} is not allowed here (only ${PROPERTIES.join(', ')})`);
    if (value === '') throw new RuleTextError(`${name} has no value`);
    if (name === 'DTSTART') {
      if (dtstart) throw new RuleTextError('the rule has more than one DTSTART');
      checkDateValue(name, value, params);
      if (value.includes(',')) throw new RuleTextError('DTSTART holds one date-time');
      dtstart = { params, value };
    } else if (name === 'RRULE') {
      if (parts) throw new RuleTextError('the rule has more than one RRULE (one is allowed)');
      parts = {};
      for (const p of value.split(';')) {
        const eq = p.indexOf('=');
        if (eq <= 0) throw new RuleTextError(`RRULE part "${p}" is not NAME=VALUE`);
        const key = p.slice(0, eq).toUpperCase();
        if (key in parts) throw new RuleTextError(`RRULE part ${key} is given twice`);
        parts[key] = p.slice(eq + 1).toUpperCase();
      }
      checkParts(parts);
    } else {
      checkDateValue(name, value, params);
    }
    out.push(`${name}${Object.entries(params).map(([k, v]) => `;${k}=${v}`).join('')}:${name === 'RRULE' ? value.toUpperCase() : value}`);
  }
  if (!dtstart) throw new RuleTextError('the rule has no DTSTART (e.g. DTSTART;TZID=Europe/Brussels:20260101T020000)');
  if (!parts) throw new RuleTextError('the rule has no RRULE line (e.g. RRULE:FREQ=DAILY)');
  const tzid = dtstart.params.TZID;
  return { text: out.join('\n'), parts, tzid, floating: tzid === undefined && !dtstart.value.endsWith('Z') && dtstart.params.VALUE?.toUpperCase() !== 'DATE' };
}
