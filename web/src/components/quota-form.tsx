/**
 * A NAS share's quota (admins only): what `cache_cleaning` keeps the share under, evicting files
 * already safe on tape (docs/tape.md). Typed as people type sizes (`500G`, `1.5TiB`, empty or `none`
 * for no quota) with the CLI's own parser (src/lib/byte-size.ts), saved with PUT on the share; the
 * API's 422 is shown on the field.
 */
import { useEffect, useState } from 'react';
import { put } from '../lib/api';
import { ApiError } from '../lib/errors';
import { formatBytes } from '../lib/format';
import { ByteSizeError, parseByteSize } from '../../../src/lib/byte-size';
import { Button, ErrorBanner, Field } from './ui';

/** The field's text for a quota: empty for none, else a size the parser reads back exactly when it can. */
export function quotaText(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '';
  for (const [unit, size] of [['P', 1024 ** 5], ['T', 1024 ** 4], ['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

export function QuotaForm({ base, value, onSaved }: { base: string; value: number | null; onSaved: (bytes: number | null) => void }) {
  const [draft, setDraft] = useState(quotaText(value));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [saved, setSaved] = useState(false);
  useEffect(() => setDraft(quotaText(value)), [value]);

  let parsed: number | null | undefined;
  let parseError: string | undefined;
  try {
    parsed = draft.trim() === '' ? null : parseByteSize(draft);
  } catch (err) {
    parseError = err instanceof ByteSizeError ? err.message : String(err);
  }

  async function save() {
    if (parsed === undefined) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await put<{ quota_bytes?: number | null }>(base, { quota_bytes: parsed });
      onSaved(r?.quota_bytes ?? parsed);
      setSaved(true);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  }

  const fieldErrors = parseError ? [parseError] : error?.fields.quota_bytes;
  return (
    <form className="guest-form" onSubmit={(e) => { e.preventDefault(); void save(); }} noValidate>
      <ErrorBanner error={error && !error.fields.quota_bytes ? error : undefined} title="Quota not saved" />
      <div className="guest-row">
        <Field label="Quota" htmlFor="share-quota" errors={fieldErrors} hint={value === null ? 'No quota: cache_cleaning leaves this share alone.' : `Now ${formatBytes(value)}. Empty for no quota.`}>
          <input id="share-quota" name="quota_bytes" type="text" autoComplete="off" placeholder="e.g. 500G" value={draft}
            onChange={(e) => { setDraft(e.target.value); setSaved(false); setError(undefined); }} />
        </Field>
        <Button type="submit" variant="primary" busy={busy} disabled={parsed === undefined || parsed === value}>Save quota</Button>
      </div>
      {saved && parsed === value && <p className="saved-note" role="status">Saved: {value === null ? 'no quota' : formatBytes(value)}.</p>}
    </form>
  );
}
