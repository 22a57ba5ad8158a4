/** A share's mount, checked live on the movers (GET /nas_shares/{id}/mount), as a badge. */
import { get } from '../lib/api';
import { useAsync } from '../lib/hooks';
import type { MountStatus } from '../lib/types';
import { Badge } from './ui';

export function MountBadge({ shareId }: { shareId: string }) {
  const m = useAsync((signal) => get<MountStatus>(`/nas_shares/${encodeURIComponent(shareId)}/mount`, signal), [shareId]);
  if (m.loading) return <span className="muted">checking…</span>;
  if (m.error || !m.data) return <Badge tone="gray" title={m.error?.message}>Unknown</Badge>;
  const s = m.data;
  if (!s.mounted) return <span data-mount="missing"><Badge tone="red" title={s.error ?? undefined}>Not mounted</Badge></span>;
  if (!s.writable) return <span data-mount="ro"><Badge tone="amber" title={s.error ?? 'Barge cannot write here'}>Read-only</Badge></span>;
  return <span data-mount="ok"><Badge tone="green" title="Readable and writable">Mounted</Badge></span>;
}
