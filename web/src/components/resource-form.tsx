/**
 * Create/edit dialogs and delete confirmations for the registry, users and keys: a field list in,
 * the API call out, the API's 422 messages under their fields and its refusals (a storage still used
 * by a task…) in the dialog.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, humanAttribute } from '../lib/errors';
import { humanize } from '../lib/format';
import { Button, ErrorBanner, Field, Modal } from './ui';

export interface FieldSpec {
  key: string;
  label: string;
  /** `checklist`: several of `choices` (an array in the body, e.g. a group's members). */
  kind?: 'text' | 'password' | 'select' | 'checkbox' | 'textarea' | 'checklist';
  choices?: Array<string | { value: string; label: string }>;
  /** Values to suggest while typing in a text field (names that exist), from the form's values. */
  suggestions?: (values: FormValues) => string[];
  hint?: string;
  placeholder?: string;
  /** Leave out of the body when empty (optional fields, write-only secrets). */
  omitEmpty?: boolean;
}

export type FormValues = Record<string, string | boolean | string[]>;
type Values = FormValues;

const choiceOf = (c: string | { value: string; label: string }) => (typeof c === 'string' ? { value: c, label: humanize(c) } : c);

/**
 * The API's messages that no field quotes: a field shows the API's "Name can't be blank" as "can't
 * be blank"; a message that does not start with its attribute ("No user named bob") is shown whole.
 */
export function unquotedMessages(error: ApiError): string[] {
  const prefixes = Object.keys(error.fields).map((k) => humanAttribute(k).toLowerCase() + ' ');
  return error.messages.filter((m) => !prefixes.some((p) => m.toLowerCase().startsWith(p)));
}

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
      const v = values[f.key] ?? (f.kind === 'checkbox' ? false : f.kind === 'checklist' ? [] : '');
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
  const fieldErrorsShown = error !== undefined && fields.some((f) => errs(f.key).length > 0);
  const unquoted = fieldErrorsShown ? unquotedMessages(error) : [];
  return (
    <Modal title={title} open={open} onClose={onClose}>
      <form onSubmit={submit} noValidate className="modal-form">
        {intro}
        <ErrorBanner error={error && Object.keys(error.fields).length === 0 ? error : undefined} />
        {unquoted.length > 0 && <ErrorBanner error={new ApiError(error?.status ?? 422, unquoted.join('. '), {}, unquoted)} title="Not saved" />}
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
          if (f.kind === 'checklist') {
            const chosen = Array.isArray(v) ? v : [];
            const toggle = (value: string, on: boolean) => setValues({ ...values, [f.key]: on ? [...chosen, value] : chosen.filter((x) => x !== value) });
            return (
              <fieldset key={f.key} className={`field checklist ${errs(f.key).length > 0 ? 'field-invalid' : ''}`}>
                <legend>{f.label}</legend>
                <div className="checklist-box">
                  {(f.choices ?? []).map(choiceOf).map((c) => (
                    <label key={c.value} className="checklist-item">
                      <input type="checkbox" name={f.key} value={c.value} checked={chosen.includes(c.value)} onChange={(e) => toggle(c.value, e.target.checked)} />
                      <span>{c.label}</span>
                    </label>
                  ))}
                  {(f.choices ?? []).length === 0 && <span className="muted">Nothing to choose from.</span>}
                </div>
                {errs(f.key).length > 0 ? errs(f.key).map((m) => <div className="field-error" key={m}>{m}</div>) : f.hint && <div className="field-hint">{f.hint}</div>}
              </fieldset>
            );
          }
          const common = { id: id(f.key), name: f.key, value: typeof v === 'string' ? v : '', placeholder: f.placeholder };
          const suggestions = f.suggestions?.(values) ?? [];
          return (
            <Field key={f.key} label={f.label} hint={f.hint} errors={errs(f.key)} htmlFor={id(f.key)}>
              {f.kind === 'select' ? (
                <select {...common} onChange={(e) => setValues({ ...values, [f.key]: e.target.value })}>
                  {f.omitEmpty && <option value="">—</option>}
                  {(f.choices ?? []).map(choiceOf).map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
                </select>
              ) : f.kind === 'textarea' ? (
                <textarea {...common} rows={3} onChange={(e) => setValues({ ...values, [f.key]: e.target.value })} />
              ) : (
                <>
                  <input {...common} type={f.kind === 'password' ? 'password' : 'text'} autoComplete={f.kind === 'password' ? 'new-password' : 'off'} list={suggestions.length > 0 ? `${id(f.key)}-list` : undefined} onChange={(e) => setValues({ ...values, [f.key]: e.target.value })} />
                  {suggestions.length > 0 && <datalist id={`${id(f.key)}-list`}>{suggestions.map((x) => <option key={x} value={x} />)}</datalist>}
                </>
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
