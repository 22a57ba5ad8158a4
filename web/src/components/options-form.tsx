/**
 * The task options an operator sets most, as form controls, plus every other option of the API as
 * JSON behind "More options". Values left empty are not sent (the engine's default applies, shown in
 * the label); the API's 422 messages (`options.parallel`…) appear under the control they concern.
 */
import type { Enums } from '../lib/schema';
import type { Options } from '../lib/types';
import { errorsUnder } from '../lib/errors';
import { humanize } from '../lib/format';
import { Field } from './ui';

/** What the engine does when an option is not set (src/engine/execution-options.ts). */
export const OPTION_DEFAULTS: Record<string, unknown> = {
  recursive: true, ignore_hidden: false, reset_file_date: false, reset_folder_date: false, full_report: false,
  soft_erase: false, keep_file_ownership: false, ignore_common_path: false, remove_root_folder: false,
  conflict_resolution: 'ignore', processing_order: 'asc',
};

/** Labels of option values where the API's word is not what an operator reads. */
const VALUE_LABEL: Record<string, Record<string, string>> = {
  processing_order: { asc: 'Ascending', dsc: 'Descending' },
  conflict_resolution: { ignore: 'Skip the file', rename: 'Rename the copy', overwrite: 'Overwrite' },
};
const valueLabel = (key: string, v: string) => VALUE_LABEL[key]?.[v] ?? (key === 'file_checksum' ? v : humanize(v));

const SELECTS: Array<{ key: string; label: string; hint: string }> = [
  { key: 'file_checksum', label: 'File checksum', hint: 'Verify every file against a checksum computed while reading.' },
  { key: 'conflict_resolution', label: 'When the destination exists', hint: 'Rename keeps both files: "name (1).ext".' },
  { key: 'processing_order', label: 'Processing order', hint: 'Order of the files within a folder.' },
];

const NUMBERS: Array<{ key: string; label: string; hint: string }> = [
  { key: 'parallel', label: 'Parallel transfers', hint: 'Files moved at the same time by this task (empty: all mover slots).' },
  { key: 'priority', label: 'Priority', hint: 'Share of the movers against other running tasks (0 = normal).' },
];

const TOGGLES: Array<{ key: string; label: string; hint: string }> = [
  { key: 'recursive', label: 'Include subfolders', hint: 'Walk folders recursively.' },
  { key: 'ignore_hidden', label: 'Skip hidden files', hint: 'Names starting with a dot are left alone.' },
  { key: 'reset_file_date', label: 'Reset file dates', hint: 'Copies get the time of the copy, not the source’s.' },
  { key: 'reset_folder_date', label: 'Reset folder dates', hint: 'Same for folders.' },
  { key: 'full_report', label: 'Full report', hint: 'Keep a ledger row for every file, not only failures.' },
  { key: 'soft_erase', label: 'Soft erase', hint: 'Erase moves files to .trash on the same share.' },
  { key: 'keep_file_ownership', label: 'Keep ownership', hint: 'Copy uid/gid (needs Barge to run as root).' },
  { key: 'ignore_common_path', label: 'Ignore common path', hint: 'Drop the sources’ shared prefix at the destination.' },
  { key: 'remove_root_folder', label: 'Remove root folder', hint: 'Place the content of a source folder, not the folder.' },
];

/**
 * The form keeps what was typed in number fields as text (so "1." can become "1.5"); numbers are sent
 * as numbers, anything else as typed, for the API to refuse with its own message.
 */
export function normalizeOptions(o: Options): Options {
  const out: Options = { ...o };
  for (const { key } of NUMBERS) {
    const v = out[key];
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) out[key] = Number(v);
  }
  return out;
}

export const FORM_OPTION_KEYS = new Set([...SELECTS, ...NUMBERS, ...TOGGLES].map((o) => o.key).concat('working_dir'));

interface Props {
  value: Options;
  onChange: (next: Options) => void;
  enums: Enums | undefined;
  errors: Record<string, string[]>;
  /** JSON text of the options the form has no control for. */
  extraText: string;
  onExtraText: (text: string) => void;
  extraError?: string;
}

export function OptionsForm({ value, onChange, enums, errors, extraText, onExtraText, extraError }: Props) {
  const set = (key: string, v: unknown) => {
    const next = { ...value };
    if (v === undefined || v === '') delete next[key];
    else next[key] = v;
    onChange(next);
  };
  const errs = (key: string) => errorsUnder(errors, `options.${key}`);
  return (
    <div className="options-form">
      <div className="form-grid">
        {SELECTS.map((o) => (
          <Field key={o.key} label={o.label} hint={o.hint} errors={errs(o.key)} htmlFor={`opt-${o.key}`}>
            <select id={`opt-${o.key}`} name={`options.${o.key}`} value={typeof value[o.key] === 'string' ? (value[o.key] as string) : ''} onChange={(e) => set(o.key, e.target.value)}>
              <option value="">{o.key in OPTION_DEFAULTS ? `Default (${valueLabel(o.key, String(OPTION_DEFAULTS[o.key])).toLowerCase()})` : 'None (size check only)'}</option>
              {(enums?.options[o.key]?.values ?? []).map((v) => <option key={v} value={v}>{valueLabel(o.key, v)}</option>)}
            </select>
          </Field>
        ))}
        {NUMBERS.map((o) => (
          <Field key={o.key} label={o.label} hint={o.hint} errors={errs(o.key)} htmlFor={`opt-${o.key}`}>
            <input id={`opt-${o.key}`} name={`options.${o.key}`} inputMode="numeric" value={value[o.key] === undefined ? '' : String(value[o.key])}
              onChange={(e) => set(o.key, e.target.value.trim() === '' ? undefined : e.target.value)} />
          </Field>
        ))}
        <Field label="Working directory" hint="Relative node paths resolve against it." errors={errs('working_dir')} htmlFor="opt-working_dir">
          <input id="opt-working_dir" name="options.working_dir" value={typeof value.working_dir === 'string' ? value.working_dir : ''} onChange={(e) => set('working_dir', e.target.value)} placeholder="/" />
        </Field>
      </div>
      <div className="toggle-grid">
        {TOGGLES.map((o) => {
          const checked = typeof value[o.key] === 'boolean' ? (value[o.key] as boolean) : Boolean(OPTION_DEFAULTS[o.key]);
          const e = errs(o.key);
          return (
            <label key={o.key} className={`toggle ${e.length ? 'field-invalid' : ''}`}>
              <input type="checkbox" name={`options.${o.key}`} checked={checked} onChange={(ev) => set(o.key, ev.target.checked)} />
              <span>
                <strong>{o.label}</strong>
                <span className="field-hint">{o.hint}</span>
                {e.map((m) => <span className="field-error" key={m}>{m}</span>)}
              </span>
            </label>
          );
        })}
      </div>
      <details className="advanced" open={Boolean(extraError) || undefined}>
        <summary>More options (JSON)</summary>
        <Field label="Other options" hint={`Any other option of the API, e.g. {"storage_class": "GLACIER"}. Known: ${Object.keys(enums?.options ?? {}).filter((k) => !FORM_OPTION_KEYS.has(k)).slice(0, 12).join(', ')}…`} errors={extraError ? [extraError] : undefined} htmlFor="opt-extra">
          <textarea id="opt-extra" rows={4} className="mono" value={extraText} onChange={(e) => onExtraText(e.target.value)} spellCheck={false} />
        </Field>
      </details>
    </div>
  );
}
