/**
 * A schedule's recurrence rule: occurrences computed by rrule-temporal on the Temporal polyfill, in
 * the rule's own time zone (DTSTART's TZID; UTC for a `Z` time, and for a floating time, which Barge
 * reads as UTC), so a "daily at 02:30 Europe/Brussels" rule stays at 02:30 local across DST changes.
 * As RFC 5545 §3.3.10 requires, a generated local time that does not exist (02:30 on the day clocks
 * go forward) is no occurrence, and a time that exists twice (clocks going back) occurs once, at its
 * first instant. Pure computation, no I/O: the API validates with it, the dispatcher decides with it.
 */
import { RRuleTemporal } from 'rrule-temporal';
import { toText } from 'rrule-temporal/totext';
import { Temporal } from 'temporal-polyfill';
import { readRuleText, RuleTextError } from './schedule-text.js';

export { RuleTextError, type RuleRefusal } from './schedule-text.js';

/**
 * How far the library may iterate to answer one question. Its default (10,000) refuses a COUNT rule
 * asked about a time 10,000 occurrences after DTSTART (a COUNT rule is always counted from DTSTART).
 */
const MAX_ITERATIONS = 1_000_000;

/** Occurrences between two instants, at most `cap` of them (see ScheduleRule.window). */
export interface OccurrenceWindow {
  /** The occurrences found, ascending. */
  at: Date[];
  /** The first occurrence after the last one returned (undefined: the rule has none left). */
  next: Date | undefined;
}

/** The library's own refusals, re-worded once for the API. */
function libraryError(err: unknown): RuleTextError {
  const message = err instanceof Error ? err.message : String(err);
  if (/Maximum iterations|candidate evaluations/i.test(message)) {
    return new RuleTextError('the rule needs too many occurrences to be computed (a COUNT rule far past its DTSTART, or BY parts that almost never match)');
  }
  if (/time ?zone/i.test(message)) return new RuleTextError(`unknown time zone (${message})`);
  return new RuleTextError(message);
}

export class ScheduleRule {
  private constructor(
    /** The normalized text (what is stored and returned). */
    readonly text: string,
    /** The IANA zone occurrences are computed in. */
    readonly timeZone: string,
    /** DTSTART had neither TZID nor `Z` (read as UTC). */
    readonly floating: boolean,
    private readonly rule: RRuleTemporal<Temporal.ZonedDateTime>,
  ) {}

  /** Reads and checks a rule's text; a RuleTextError says what is wrong with it. */
  static read(input: string): ScheduleRule {
    const checked = readRuleText(input);
    let rule: RRuleTemporal<Temporal.ZonedDateTime>;
    try {
      rule = new RRuleTemporal({ rruleString: checked.text, maxIterations: MAX_ITERATIONS, temporal: Temporal });
    } catch (err) {
      throw libraryError(err);
    }
    return new ScheduleRule(checked.text, rule.options().tzid ?? 'UTC', checked.floating, rule);
  }

  /** The first occurrence at `at` or after it, or undefined when the rule has none left. */
  nextFrom(at: Date): Date | undefined {
    return this.ask(() => this.rule.next(at, true));
  }

  /** The first occurrence strictly after `at`. */
  nextAfter(at: Date): Date | undefined {
    return this.ask(() => this.rule.next(at, false));
  }

  /**
   * The occurrences from `from` to `to` (both included), at most `cap` of them, and the first one
   * after those returned. Why a cap: a SECONDLY rule whose dispatcher was away for a week has 600,000
   * occurrences in that week — a caller takes them a bounded slice at a time.
   */
  window(from: Date, to: Date, cap: number): OccurrenceWindow {
    const at: Date[] = [];
    let next = this.nextFrom(from);
    while (next !== undefined && next.getTime() <= to.getTime() && at.length < cap) {
      at.push(next);
      next = this.nextAfter(next);
    }
    return { at, next };
  }

  /** The next `n` occurrences at `after` or later. */
  upcoming(after: Date, n: number): Date[] {
    const out: Date[] = [];
    let next = this.nextFrom(after);
    while (next !== undefined && out.length < n) {
      out.push(next);
      next = this.nextAfter(next);
    }
    return out;
  }

  /** The rule as an English sentence with its zone: "every weekday at 02:00, Europe/Brussels". */
  describe(): string {
    let sentence: string;
    try {
      sentence = toText(this.rule as unknown as RRuleTemporal, 'en', { excludeTzAbbreviation: true });
    } catch {
      sentence = this.text.split('\n').find((l) => l.startsWith('RRULE:')) ?? this.text;
    }
    return `${twentyFourHour(sentence)}, ${this.timeZone}${this.floating ? ' (no TZID: UTC)' : ''}`;
  }

  private ask(question: () => Temporal.ZonedDateTime | null): Date | undefined {
    let z: Temporal.ZonedDateTime | null;
    try {
      z = question();
    } catch (err) {
      throw libraryError(err);
    }
    return z === null ? undefined : new Date(z.epochMilliseconds);
  }
}

/**
 * Times as a 24-hour clock ("2 AM" → "02:00", "2:30:15 PM" → "14:30:15"). Why: the library writes a
 * 12-hour clock; operators of data centres read schedules, logs and cron in 24-hour time.
 */
export function twentyFourHour(sentence: string): string {
  return sentence.replace(/\b(\d{1,2})(?::(\d{2}))?(?::(\d{2}))? ?(AM|PM)\b/g, (_m, h: string, min?: string, sec?: string, half?: string) => {
    const hour = (Number(h) % 12) + (half === 'PM' ? 12 : 0);
    return `${String(hour).padStart(2, '0')}:${min ?? '00'}${sec ? `:${sec}` : ''}`;
  });
}
