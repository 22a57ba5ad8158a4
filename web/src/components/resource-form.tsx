/**
 * Create/edit dialogs and delete confirmations for the registry, users and keys: a field list in,
 * the API call out, the API's 422 messages under their fields and its refusals (a storage still used
 * by a task…) in the dialog.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../lib/errors';
import { humanize } from '../lib/format';
import { Button, ErrorBanner, Field, Modal } from './ui';

export interface FieldSpec {
  key: string;
  label: string;
  kind?: 'text' | 'password' | 'select' | 'checkbox' | 'textarea';
  choices?: Array<string | { value: string; label: string }>;
  hint?: string;
  placeholder?: string;
  /** Leave out of the body when empty (optional fields, write-only secrets). */
  omitEmpty?: boolean;
}

type Values = Record<string, string | boolean>;

interface FormProps {
  title: string;
  open: boolean;
  fields: FieldSpec[];
  initial?: Values;
  submitLabel: string;
  onClose: () => void;
  /** Sends the body; throws ApiError to keep the dialog open with messages. */
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
  /** Prefix of the API's detail keys for these fields (`user.` for `{user: {...}}` bodies). */
  errorPrefix?: string;
  intro?: ReactNode;
}

export function FormModal({ title, open, fields, initial = {}, submitLabel, onClose, onSubmit, errorPrefix = '', intro }: FormProps) {
  const [values, setValues] = useState<Values>(initial);
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (open) {
      setValues(initial);
      setError(undefined);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    for (const f of fields) {
      const v = values[f.key] ?? (f.kind === 'checkbox' ? false : '');
      if (f.omitEmpty && v === '') continue;
      body[f.key] = v;
    }
    setBusy(true);
    setError(undefined);
    try {
      await onSubmit(body);
      onClose();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  }

  const errs = (key: string) => [...(error?.fields[key] ?? []), ...(errorPrefix ? error?.fields[errorPrefix + key] ?? [] : [])];
  const id = (k: string) => `f-${title.replace(/\W+/g, '-').toLowerCase()}-${k}`;
  return (
    <Modal title={title} open={open} onClose={onClose}>
      <form onSubmit={submit} noValidate className="modal-form">
        {intro}
        <ErrorBanner error={error && Object.keys(error.fields).length === 0 ? error : undefined} />
        {fields.map((f) => {
          const v = values[f.key];
          if (f.kind === 'checkbox') {
            return (
              <label key={f.key} className="toggle">
                <input type="checkbox" name={f.key} checked={v === true} onChange={(e) => setValues({ ...values, [f.key]: e.target.checked })} />
                <span><strong>{f.label}</strong>{f.hint && <span className="field-hint">{f.hint}</span>}</span>
              </label>
            );
          }
          const common = { id: id(f.key), name: f.key, value: typeof v === 'string' ? v : '', placeholder: f.placeholder };
          return (
            <Field key={f.key} label={f.label} hint={f.hint} errors={errs(f.key)} htmlFor={id(f.key)}>
              {f.kind === 'select' ? (
                <select {...common} onChange={(e) => setValues({ ...values, [f.key]: e.target.value })}>
                  {f.omitEmpty && <option value="">—</option>}
                  {(f.choices ?? []).map((c) => (typeof c === 'string' ? <option key={c} value={c}>{humanize(c)}</option> : <option key={c.value} value={c.value}>{c.label}</option>))}
                </select>
              ) : f.kind === 'textarea' ? (
                <textarea {...common} rows={3} onChange={(e) => setValues({ ...values, [f.key]: e.target.value })} />
              ) : (
                <input {...common} type={f.kind === 'password' ? 'password' : 'text'} autoComplete={f.kind === 'password' ? 'new-password' : 'off'} onChange={(e) => setValues({ ...values, [f.key]: e.target.value })} />
              )}
            </Field>
          );
        })}
        {error && Object.keys(error.fields).length > 0 && fields.every((f) => errs(f.key).length === 0) && <ErrorBanner error={error} />}
        <footer className="modal-footer">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy}>{submitLabel}</Button>
        </footer>
      </form>
    </Modal>
  );
}

/** "Delete X?" with the API's refusal shown in place. */
export function ConfirmDelete({ what, open, onClose, onConfirm, children }: { what: string; open: boolean; onClose: () => void; onConfirm: () => Promise<void>; children?: ReactNode }) {
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  useEffect(() => setError(undefined), [open]);
  async function go() {
    setBusy(true);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal title={`Delete ${what}?`} open={open} onClose={onClose} footer={<><Button onClick={onClose}>Cancel</Button><Button variant="danger" busy={busy} onClick={go}>Delete</Button></>}>
      <ErrorBanner error={error} title="Not deleted" />
      {children ?? <p>This cannot be undone.</p>}
    </Modal>
  );
}
