/**
 * Creates or edits a task. The form sends what the API expects (POST /tasks, PUT /tasks/{id}) and
 * shows the API's validation — one 422 naming every problem — next to each field; nothing is
 * validated twice in the browser, so the console can never disagree with the server.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { draftOf, endpointOf, EndpointsEditor, type EndpointDraft } from '../components/endpoints-editor';
import { PageHeader } from '../components/layout';
import { FORM_OPTION_KEYS, normalizeOptions, OptionsForm } from '../components/options-form';
import { Button, Card, ErrorBanner, Field, Loading } from '../components/ui';
import { get, post, put } from '../lib/api';
import { ApiError, summarize, visibleErrors } from '../lib/errors';
import { humanize } from '../lib/format';
import { navigate } from '../lib/router';
import { PREVIEWABLE } from '../lib/dry-run';
import { useEnums } from '../lib/schema';
import { useStorageIndex } from '../lib/storages';
import type { Options, Task } from '../lib/types';

interface Draft {
  name: string;
  comment: string;
  workflow_type: string;
  workflow_action: string;
  options: Options;
  extra: string;
  sources: EndpointDraft[];
  destinations: EndpointDraft[];
}

const EMPTY: Draft = {
  name: '', comment: '', workflow_type: 'data_migration', workflow_action: 'copy', options: {}, extra: '',
  sources: [{ type: 'nas', target: '', paths: '/' }], destinations: [{ type: 'nas', target: '', paths: '/' }],
};

function draftOfTask(t: Task): Draft {
  const form: Options = {};
  const extra: Options = {};
  for (const [k, v] of Object.entries(t.options ?? {})) (FORM_OPTION_KEYS.has(k) ? form : extra)[k] = v;
  return {
    name: t.name, comment: t.comment ?? '', workflow_type: t.workflow_type, workflow_action: t.workflow_action, options: form,
    extra: Object.keys(extra).length ? JSON.stringify(extra, null, 2) : '', sources: t.sources.map(draftOf), destinations: t.destinations.map(draftOf),
  };
}

export function TaskEditorPage({ id }: { id?: string }) {
  const enums = useEnums();
  const storages = useStorageIndex();
  const [original, setOriginal] = useState<Task>();
  const [draft, setDraft] = useState<Draft | undefined>(id ? undefined : EMPTY);
  const [loadError, setLoadError] = useState<ApiError>();
  const [error, setError] = useState<ApiError>();
  const [extraError, setExtraError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // Keys the user edited since the last refusal: their messages are stale and disappear.
  const [cleared, setCleared] = useState<string[]>([]);

  useEffect(() => {
    if (!id) return;
    get<Task>(`/tasks/${encodeURIComponent(id)}`).then((t) => { setOriginal(t); setDraft(draftOfTask(t)); }, (e: ApiError) => setLoadError(e));
  }, [id]);

  if (loadError) return <ErrorBanner error={loadError} title="Could not load the task" />;
  if (!draft) return <Loading />;
  const d = draft;
  const fields = visibleErrors(error?.fields ?? {}, cleared);
  const set = (patch: Partial<Draft>) => {
    const keys: string[] = [];
    for (const k of ['name', 'comment', 'workflow_type', 'workflow_action'] as const) if (k in patch) keys.push(k);
    if (patch.options) for (const k of new Set([...Object.keys(d.options), ...Object.keys(patch.options)])) if (d.options[k] !== patch.options[k]) keys.push(`options.${k}`);
    for (const role of ['sources', 'destinations'] as const) {
      const next = patch[role];
      if (!next) continue;
      keys.push(role);
      for (let i = 0; i < Math.max(next.length, d[role].length); i++) if (JSON.stringify(next[i]) !== JSON.stringify(d[role][i])) keys.push(`${role}[${i}]`);
    }
    if (keys.length > 0 && error) setCleared((c) => [...c, ...keys]);
    setDraft({ ...d, ...patch });
  };
  const remaining = error && Object.keys(error.fields).length > 0 ? summarize(fields) : undefined;
  const banner = remaining ? (remaining.length > 0 ? new ApiError(error?.status ?? 422, remaining.join('. '), fields, remaining) : undefined) : error;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setExtraError(undefined);
    let extra: Options = {};
    if (d.extra.trim()) {
      try {
        const parsed: unknown = JSON.parse(d.extra);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        extra = parsed as Options;
      } catch {
        setExtraError('Must be a JSON object, e.g. {"storage_class": "STANDARD_IA"}');
        return;
      }
    }
    const options: Options = { ...extra, ...normalizeOptions(d.options) };
    // PUT merges options: keys the user removed are sent as null to remove them.
    if (original) for (const k of Object.keys(original.options ?? {})) if (!(k in options)) options[k] = null;
    const body = {
      // comment: sent when changed ('' clears it: the API refuses null).
      name: d.name, comment: original ? (d.comment !== (original.comment ?? '') ? d.comment : undefined) : d.comment || undefined, workflow_type: d.workflow_type, workflow_action: d.workflow_action,
      options, sources: d.sources.map(endpointOf), destinations: d.destinations.map(endpointOf),
    };
    setBusy(true);
    setError(undefined);
    setCleared([]);
    try {
      const saved = id ? await put<Task>(`/tasks/${encodeURIComponent(id)}`, body) : await post<Task>('/tasks', body);
      // "Save and preview" opens the task page with its Preview running (a dry run of what was saved).
      const previewAfter = ((e.nativeEvent as SubmitEvent).submitter as HTMLElement | null)?.dataset.preview === '1';
      navigate(`/tasks/${saved.id}${previewAfter ? '?preview=1' : ''}`);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
      setBusy(false);
      window.scrollTo({ top: 0, behavior: 'smooth' });
    }
  }

  const optionExtraErrors = Object.entries(fields).filter(([k]) => k.startsWith('options.') && !FORM_OPTION_KEYS.has(k.slice(8).split(/[.[]/)[0] as string)).flatMap(([k, v]) => v.map((m) => `${k.slice(8)} ${m}`));
  const types = enums?.endpoint_type ?? ['nas', 'cloud', 'tape'];
  return (
    <form onSubmit={submit} noValidate>
      <PageHeader
        crumbs={[{ to: '/tasks', label: 'Tasks' }, ...(original ? [{ to: `/tasks/${original.id}`, label: original.name }] : [])]}
        title={original ? `Edit ${original.name}` : 'New task'}
        subtitle={original ? 'Changes apply to the next execution.' : 'Describe what to move, from where to where, and how.'}
        actions={
          <>
            <Button onClick={() => navigate(original ? `/tasks/${original.id}` : '/tasks')}>Cancel</Button>
            {PREVIEWABLE.has(d.workflow_action) && <Button type="submit" busy={busy} data-preview="1" title="Save, then plan a run against the destination without writing anything">Save and preview</Button>}
            <Button type="submit" variant="primary" busy={busy}>{original ? 'Save changes' : 'Create task'}</Button>
          </>
        }
      />
      <ErrorBanner error={banner} title={remaining ? 'Please correct the highlighted fields' : 'The task was not saved'} onDismiss={() => setError(undefined)} />
      <Card title="General">
        <div className="form-grid">
          <Field label="Name" htmlFor="task-name" errors={fields.name}>
            <input id="task-name" name="name" value={d.name} onChange={(e) => set({ name: e.target.value })} placeholder="e.g. Nightly projects copy" autoFocus={!original} />
          </Field>
          <Field label="Workflow type" htmlFor="task-type" errors={fields.workflow_type}>
            <select id="task-type" name="workflow_type" value={d.workflow_type} onChange={(e) => set({ workflow_type: e.target.value })}>
              {(enums?.workflow_type ?? [d.workflow_type]).map((v) => <option key={v} value={v}>{humanize(v)}</option>)}
            </select>
          </Field>
          <Field label="Action" htmlFor="task-action" errors={fields.workflow_action}>
            <select id="task-action" name="workflow_action" value={d.workflow_action} onChange={(e) => set({ workflow_action: e.target.value })}>
              {(enums?.workflow_action ?? [d.workflow_action]).map((v) => <option key={v} value={v}>{humanize(v)}</option>)}
            </select>
          </Field>
          <Field label="Comment" htmlFor="task-comment" errors={fields.comment} className="span-3">
            <input id="task-comment" name="comment" value={d.comment} onChange={(e) => set({ comment: e.target.value })} placeholder="Optional note for your colleagues" />
          </Field>
        </div>
      </Card>
      <div className="grid-2">
        <Card title="Sources">
          <EndpointsEditor role="sources" value={d.sources} onChange={(sources) => set({ sources })} types={types} storages={storages.data} errors={fields} />
        </Card>
        <Card title="Destinations">
          <EndpointsEditor role="destinations" value={d.destinations} onChange={(destinations) => set({ destinations })} types={types} storages={storages.data} errors={fields} />
        </Card>
      </div>
      <Card title="Options">
        <OptionsForm value={d.options} onChange={(options) => set({ options })} enums={enums} errors={fields} extraText={d.extra} onExtraText={(extra) => set({ extra })}
          extraError={extraError ?? (optionExtraErrors.length ? optionExtraErrors.join('; ') : undefined)} />
      </Card>
      <div className="form-footer">
        <Button onClick={() => navigate(original ? `/tasks/${original.id}` : '/tasks')}>Cancel</Button>
        {PREVIEWABLE.has(d.workflow_action) && <Button type="submit" busy={busy} data-preview="1">Save and preview</Button>}
        <Button type="submit" variant="primary" busy={busy}>{original ? 'Save changes' : 'Create task'}</Button>
      </div>
    </form>
  );
}
