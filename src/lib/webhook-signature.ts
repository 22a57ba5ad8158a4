/**
 * How a webhook receiver knows a delivery came from this Barge and was not replayed: Stripe's scheme,
 * so verifiers written for it work unchanged. `X-Barge-Signature: t=<unix seconds>,v1=<hex>` where
 * the hex is HMAC-SHA256, keyed with the callback's secret, of `<t>.<raw body>`. The receiver
 * recomputes it over the bytes it received, compares in constant time, and refuses a `t` too far from
 * its clock (5 minutes is usual). A new `t` and signature per attempt; the body stays the same.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header's value for `body` sent at `unixSeconds`. */
export function webhookSignature(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * Checks a header the way a receiver should (Barge's own tests use an independent implementation):
 * some `v1` matches and `t` is within `toleranceSeconds` of `nowSeconds`.
 */
export function verifyWebhookSignature(secret: string, header: string, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex'), 'hex');
  return parts.filter(([k]) => k === 'v1').some(([, v]) => {
    const got = Buffer.from(v ?? '', 'hex');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
