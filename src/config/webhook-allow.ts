/**
 * `BARGE_WEBHOOK_ALLOW`: which targets in private, loopback, link-local or unique-local ranges
 * webhooks may call. Why a list at all: a task owner chooses a webhook's URL, and without it Barge
 * would call into the network it runs in for anyone who may create a task. Public addresses need no
 * entry; this list only opens refused ranges. Parsed and checked here, once at boot (every bad entry
 * listed); lib/webhook-target.ts does the matching.
 *
 * Entries, comma-separated: a host name (`hooks.corp.example`, any address it resolves to is then
 * allowed), a suffix (`*.corp.example`: every name under it), an address (`10.1.2.3`, `::1`,
 * `[fd00::5]`) or a network in CIDR form (`10.0.0.0/8`, `fd00::/8`).
 */
import { isIP } from 'node:net';

/** A parsed allow-list (the shape lib/webhook-target.ts matches against). */
export interface WebhookAllowList {
  /** Lower-case host names without a trailing dot; `*.suffix` allows every name under `suffix`. */
  readonly hosts: readonly string[];
  /** Networks: an address and a prefix length (32 or 128 for a single address). */
  readonly networks: ReadonlyArray<{ readonly address: string; readonly prefix: number }>;
}

export const EMPTY_ALLOW: WebhookAllowList = Object.freeze({ hosts: Object.freeze([]), networks: Object.freeze([]) });

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** A DNS name as the allow-list accepts it: letters, digits, `-`, `_`, labels of 1–63. */
function hostName(s: string): boolean {
  return s.length <= 253 && s.split('.').every((l) => LABEL.test(l));
}

/** Parses the variable's value; problems name the variable and the entry. */
export function parseWebhookAllow(raw: string | undefined, problems: string[]): WebhookAllowList {
  const entries = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) return EMPTY_ALLOW;
  const hosts: string[] = [];
  const networks: Array<{ address: string; prefix: number }> = [];
  for (const entry of entries) {
    const [rawAddr = '', prefixText, ...extra] = entry.split('/');
    const addr = rawAddr.startsWith('[') && rawAddr.endsWith(']') ? rawAddr.slice(1, -1) : rawAddr;
    const family = isIP(addr);
    if (family !== 0) {
      const max = family === 4 ? 32 : 128;
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (extra.length > 0 || !/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) {
        problems.push(`BARGE_WEBHOOK_ALLOW: ${JSON.stringify(entry)} has a bad prefix length (0–${max})`);
        continue;
      }
      networks.push({ address: addr.toLowerCase(), prefix });
      continue;
    }
    const name = entry.toLowerCase().replace(/\.$/, '');
    const bare = name.startsWith('*.') ? name.slice(2) : name;
    if (prefixText !== undefined || !hostName(bare)) {
      problems.push(`BARGE_WEBHOOK_ALLOW: ${JSON.stringify(entry)} is neither a host name, *.suffix, an IP address nor a CIDR network`);
      continue;
    }
    hosts.push(name);
  }
  return Object.freeze({ hosts: Object.freeze(hosts), networks: Object.freeze(networks.map((n) => Object.freeze(n))) });
}
