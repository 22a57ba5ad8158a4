/** Helpers for schedule tests: RFC 5545 times from the process clock (never a fixed "today"). */

/** `20260105T020000Z`: a UTC DATE-TIME of RFC 5545, whole seconds (milliseconds are dropped). */
export function rfc5545Utc(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/** The next whole second at least `ms` from now (process clock), as a Date. */
export function wholeSecondIn(ms: number): Date {
  return new Date(Math.ceil((Date.now() + ms) / 1000) * 1000);
}
