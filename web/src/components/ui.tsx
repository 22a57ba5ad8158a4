/**
 * The console's small building blocks, so every page looks and behaves the same: buttons, status
 * badges, loading/empty/error states, form fields with their API messages, dialogs, disclosures.
 */
import { useEffect, useRef, type ButtonHTMLAttributes, type ReactNode } from 'react';
import type { ApiError } from '../lib/errors';
import { formatDateTime, formatRelative, humanize } from '../lib/format';
import { useNow } from '../lib/hooks';

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';

export function Button({ variant = 'secondary', busy, children, className, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; busy?: boolean }) {
  return (
    <button type="button" {...rest} disabled={rest.disabled || busy} aria-busy={busy || undefined} className={`btn btn-${variant} ${className ?? ''}`}>
      {busy && <span className="spinner spinner-sm" aria-hidden />}
      {children}
    </button>
  );
}

export type Tone = 'gray' | 'blue' | 'indigo' | 'green' | 'amber' | 'orange' | 'red' | 'slate';

export function Badge({ tone = 'gray', children, title }: { tone?: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      <span className="badge-dot" aria-hidden />
      {children}
    </span>
  );
}

const STATUS_TONE: Record<string, Tone> = {
  in_queue: 'slate', calculating: 'indigo', in_progress: 'blue', paused: 'amber', stopping: 'orange',
  done: 'green', finished_with_warnings: 'amber', error: 'red', stopped_by_user: 'gray', stopped_by_system: 'red',
  failed: 'red', skipped: 'gray', copied: 'blue',
};

const STATUS_LABEL: Record<string, string> = { in_queue: 'Queued', in_progress: 'Running', finished_with_warnings: 'Warnings', stopped_by_user: 'Stopped', stopped_by_system: 'Stopped by system' };

/** The tone of a status, for badges and chart bars. */
export const statusTone = (status: string): Tone => STATUS_TONE[status] ?? 'gray';

/** The label of a status, as its badge reads ("Running", "Warnings"). */
export const statusLabel = (status: string): string => STATUS_LABEL[status] ?? humanize(status);

/** An execution (or ledger file) status as a coloured badge with a stable test hook. */
export function StatusBadge({ status }: { status: string | null | undefined }) {
  if (!status) return <span className="muted">Never run</span>;
  return (
    <span data-status={status}>
      <Badge tone={statusTone(status)} title={humanize(status)}>
        {statusLabel(status)}
      </Badge>
    </span>
  );
}

export function Spinner() {
  return <span className="spinner" role="status" aria-label="Loading" />;
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state-box">
      <Spinner />
      <span>{label}</span>
    </div>
  );
}

export function Empty({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="state-box empty">
      <svg viewBox="0 0 48 48" width="40" height="40" aria-hidden>
        <rect x="6" y="12" width="36" height="26" rx="4" fill="none" stroke="currentColor" strokeWidth="2" />
        <path d="M6 20h36" stroke="currentColor" strokeWidth="2" />
      </svg>
      <strong>{title}</strong>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}

/** The API's messages (model_error messages or data_management_error detail), never a stack. */
export function ErrorBanner({ error, title, onDismiss }: { error: ApiError | undefined | null; title?: string; onDismiss?: () => void }) {
  if (!error) return null;
  const messages = error.messages.length > 0 ? error.messages : [error.message];
  return (
    <div className="alert alert-error" role="alert">
      <div>
        <strong>{title ?? (error.status === 0 ? 'Connection problem' : 'Something went wrong')}</strong>
        {messages.length === 1 ? <p>{messages[0]}</p> : <ul>{messages.map((m) => <li key={m}>{m}</li>)}</ul>}
      </div>
      {onDismiss && <button type="button" className="alert-close" aria-label="Dismiss" onClick={onDismiss}>×</button>}
    </div>
  );
}

export function Notice({ tone = 'info', children }: { tone?: 'info' | 'success' | 'warning'; children: ReactNode }) {
  return <div className={`alert alert-${tone}`} role="status">{children}</div>;
}

/** Raw JSON, only behind an explicit "Advanced" disclosure. */
export function Advanced({ value, label = 'Advanced' }: { value: unknown; label?: string }) {
  return (
    <details className="advanced">
      <summary>{label}</summary>
      <pre>{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}

export function Field({ label, hint, errors, children, htmlFor, className }: { label: string; hint?: ReactNode; errors?: string[]; children: ReactNode; htmlFor?: string; className?: string }) {
  const invalid = errors && errors.length > 0;
  return (
    <div className={`field ${invalid ? 'field-invalid' : ''} ${className ?? ''}`}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {invalid ? errors.map((m) => <div className="field-error" key={m}>{m}</div>) : hint && <div className="field-hint">{hint}</div>}
    </div>
  );
}

/** "5 min ago", with the exact time on hover; kept fresh. */
export function RelativeTime({ iso }: { iso: string | null | undefined }) {
  const now = useNow();
  if (!iso) return <span className="muted">—</span>;
  return <time dateTime={iso} title={formatDateTime(iso)}>{formatRelative(iso, now)}</time>;
}

export function Card({ title, actions, children, className }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={`card ${className ?? ''}`}>
      {(title || actions) && (
        <header className="card-header">
          {title && <h2>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

export function ProgressBar({ percent, tone = 'blue', label }: { percent: number; tone?: Tone; label?: string }) {
  const p = Math.max(0, Math.min(100, percent));
  return (
    <div className={`progress progress-${tone}`} role="progressbar" aria-valuenow={p} aria-valuemin={0} aria-valuemax={100} aria-label={label}>
      <div className="progress-fill" style={{ width: `${p}%` }} />
    </div>
  );
}

/** A modal dialog on the native <dialog> element (focus trap and Escape for free). */
export function Modal({ title, open, onClose, children, footer, className }: { title: string; open: boolean; onClose: () => void; children: ReactNode; footer?: ReactNode; className?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal?.();
    if (!open && d.open) d.close?.();
  }, [open]);
  return (
    <dialog ref={ref} className={className ? `modal ${className}` : 'modal'} onClose={onClose} aria-label={title}>
      {open && (
        <>
          <header className="modal-header">
            <h2>{title}</h2>
            <button type="button" className="alert-close" aria-label="Close" onClick={onClose}>×</button>
          </header>
          <div className="modal-body">{children}</div>
          {footer && <footer className="modal-footer">{footer}</footer>}
        </>
      )}
    </dialog>
  );
}

export function Tabs<K extends string>({ tabs, value, onChange }: { tabs: Array<{ key: K; label: string; count?: number }>; value: K; onChange: (k: K) => void }) {
  return (
    <div className="tabs" role="tablist">
      {tabs.map((t) => (
        <button key={t.key} type="button" role="tab" aria-selected={t.key === value} className={`tab ${t.key === value ? 'tab-active' : ''}`} onClick={() => onChange(t.key)}>
          {t.label}
          {t.count !== undefined && <span className="tab-count">{t.count}</span>}
        </button>
      ))}
    </div>
  );
}

/** Key/value rows for detail panels. */
export function Facts({ items }: { items: Array<[string, ReactNode]> }) {
  return (
    <dl className="facts">
      {items.map(([k, v]) => (
        <div key={k} className="fact">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
