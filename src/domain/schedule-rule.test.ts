import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RuleTextError, ScheduleRule, twentyFourHour } from './schedule-rule.js';

const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

function refused(text: string, reason: RegExp): void {
  assert.throws(() => ScheduleRule.read(text), (e: unknown) => e instanceof RuleTextError && reason.test(e.message), `${JSON.stringify(text)} should be refused with ${reason}`);
}

describe('schedule rule: occurrences in the rule’s zone', () => {
  const brussels = ScheduleRule.read('DTSTART;TZID=Europe/Brussels:20260301T023000\nRRULE:FREQ=DAILY');

  it('a daily 02:30 rule in Europe/Brussels across the March change: 02:30 local, the missing 02:30 is no occurrence', () => {
    // 2026-03-29: clocks go from 02:00 to 03:00 CET→CEST; 02:30 does not exist that day (RFC 5545 3.3.10).
    assert.deepEqual(iso(brussels.upcoming(new Date('2026-03-27T00:00:00Z'), 4)), [
      '2026-03-27T01:30:00.000Z', // 02:30 +01:00
      '2026-03-28T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z', // 02:30 +02:00
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('across the October change: 02:30 occurs once, at its first instant, then at +01:00', () => {
    // 2026-10-25: clocks go from 03:00 back to 02:00; 02:30 exists twice (+02:00 then +01:00).
    assert.deepEqual(iso(brussels.upcoming(new Date('2026-10-24T00:00:00Z'), 3)), [
      '2026-10-24T00:30:00.000Z', // 02:30 +02:00
      '2026-10-25T00:30:00.000Z', // 02:30 +02:00 (first fold)
      '2026-10-26T01:30:00.000Z', // 02:30 +01:00
    ]);
  });

  it('a weekday rule in New York keeps its local hour across the US change', () => {
    const ny = ScheduleRule.read('DTSTART;TZID=America/New_York:20260302T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO');
    assert.deepEqual(iso(ny.upcoming(new Date('2026-03-02T00:00:00Z'), 2)), ['2026-03-02T14:00:00.000Z', '2026-03-09T13:00:00.000Z']);
    assert.equal(ny.timeZone, 'America/New_York');
  });

  it('without TZID and without Z, DTSTART is read as UTC', () => {
    const floating = ScheduleRule.read('DTSTART:20260101T020000\nRRULE:FREQ=DAILY;COUNT=2');
    assert.equal(floating.timeZone, 'UTC');
    assert.equal(floating.floating, true);
    assert.deepEqual(iso(floating.upcoming(new Date('2025-01-01T00:00:00Z'), 5)), ['2026-01-01T02:00:00.000Z', '2026-01-02T02:00:00.000Z']);
    assert.match(floating.describe(), /UTC \(no TZID: UTC\)$/);
    assert.equal(ScheduleRule.read('DTSTART:20260101T020000Z\nRRULE:FREQ=DAILY').floating, false);
  });

  it('EXDATE removes an occurrence and RDATE adds one', () => {
    const r = ScheduleRule.read('DTSTART:20260101T020000Z\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE:20260102T020000Z\nRDATE:20260110T030000Z');
    assert.deepEqual(iso(r.upcoming(new Date('2025-12-31T00:00:00Z'), 10)), ['2026-01-01T02:00:00.000Z', '2026-01-03T02:00:00.000Z', '2026-01-10T03:00:00.000Z']);
  });

  it('window: occurrences between two instants (both included), capped, with the next one after them', () => {
    const r = ScheduleRule.read('DTSTART:20260101T000000Z\nRRULE:FREQ=SECONDLY;INTERVAL=2;COUNT=5');
    const all = r.window(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:04Z'), 100);
    assert.deepEqual(iso(all.at), ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:02.000Z', '2026-01-01T00:00:04.000Z']);
    assert.equal(all.next?.toISOString(), '2026-01-01T00:00:06.000Z');
    const capped = r.window(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T01:00:00Z'), 2);
    assert.equal(capped.at.length, 2);
    assert.equal(capped.next?.toISOString(), '2026-01-01T00:00:04.000Z');
    const end = r.window(new Date('2026-01-01T00:00:07Z'), new Date('2026-01-01T01:00:00Z'), 100);
    assert.deepEqual(iso(end.at), ['2026-01-01T00:00:08.000Z']);
    assert.equal(end.next, undefined);
  });

  it('a COUNT rule asked far past its DTSTART still answers (iterations are not capped at 10,000)', () => {
    const r = ScheduleRule.read('DTSTART:20260101T000000Z\nRRULE:FREQ=SECONDLY;COUNT=1000000');
    assert.equal(r.nextFrom(new Date('2026-01-02T00:00:00.500Z'))?.toISOString(), '2026-01-02T00:00:01.000Z');
  });

  it('describes itself as a sentence with its zone', () => {
    assert.equal(ScheduleRule.read('DTSTART;TZID=Europe/Brussels:20260105T020000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR').describe(), 'every weekday at 02:00, Europe/Brussels');
    assert.equal(twentyFourHour('every day at 12 AM, 12:05 PM and 11:30:15 PM'), 'every day at 00:00, 12:05 and 23:30:15');
    assert.equal(ScheduleRule.read('DTSTART:20260105T020000Z\nRRULE:FREQ=SECONDLY;INTERVAL=2;COUNT=3').describe(), 'every 2 seconds for 3 times, UTC');
  });

  it('keeps the text normalized: unfolded lines, CRLF accepted, upper-case rule parts', () => {
    const r = ScheduleRule.read('  DTSTART;TZID=Europe/Brussels:20260101T020000\r\nRRULE:freq=daily;\r\n byhour=3\r\n');
    assert.equal(r.text, 'DTSTART;TZID=Europe/Brussels:20260101T020000\nRRULE:FREQ=DAILY;BYHOUR=3');
  });
});

describe('schedule rule: refusals say why', () => {
  it('refuses a text without DTSTART or RRULE, with two RRULEs, or with other properties', () => {
    refused('', /empty/);
    refused('RRULE:FREQ=DAILY', /no DTSTART/);
    refused('DTSTART:20260101T020000Z', /no RRULE/);
    refused('DTSTART:20260101T020000Z\nRRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY', /more than one RRULE/);
    refused('DTSTART:20260101T020000Z\nDTSTART:20260102T020000Z\nRRULE:FREQ=DAILY', /more than one DTSTART/);
    refused('DTSTART:20260101T020000Z\nRRULE:FREQ=DAILY\nSUMMARY:x', /SUMMARY is not allowed/);
    refused('hello', /not NAME:VALUE/);
  });

  it('refuses bad values: frequency, counts, ranges, dates, zones', () => {
    refused('DTSTART:20260101T020000Z\nRRULE:FREQ=FOO', /FREQ=FOO is not a frequency/);
    refused('DTSTART:20260101T020000Z\nRRULE:INTERVAL=2', /no FREQ/);
    refused('DTSTART:20260101T020000Z\nRRULE:FREQ=DAILY;COUNT=-3', /COUNT=-3/);
    refused('DTSTART:20260101T020000Z\nRRULE:FREQ=DAILY;COUNT=0', /COUNT=0/);
    refused('DTSTART:20260101T020000Z\nRRULE:FREQ=DAILY;INTERVAL=0', /INTERVAL=0/);
    refused('DTSTART:20260101T020000Z\nRRULE:FREQ=DAILY;BYHOUR=25', /BYHOUR=25/);
    refused('DTSTART:20260101T020000Z\nRRULE:FREQ=DAILY;BYDAY=XX', /BYDAY=XX/);
    refused('DTSTART:20260101T020000Z\nRRULE:FREQ=DAILY;FOO=1', /FOO is not an RFC 5545 rule part/);
    refused('DTSTART:20260101T020000Z\nRRULE:FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z', /both COUNT and UNTIL/);
    refused('DTSTART:garbage\nRRULE:FREQ=DAILY', /DTSTART value "garbage"/);
    refused('DTSTART;TZID=Mars/Olympus:20260101T020000\nRRULE:FREQ=DAILY', /time zone/i);
    refused('DTSTART;TZID=Europe/Brussels:20260101T020000Z\nRRULE:FREQ=DAILY', /both a TZID and a UTC time/);
  });

  it('refuses a frequency finer than one second', () => {
    refused('DTSTART:20260101T020000Z\nRRULE:FREQ=MILLISECONDLY', /finer than one second/);
    refused('DTSTART:20260101T020000.500Z\nRRULE:FREQ=SECONDLY', /nothing finer than one second/);
  });
});
