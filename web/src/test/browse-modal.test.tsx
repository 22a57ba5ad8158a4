// @vitest-environment jsdom
/**
 * The folder browser and the task editor's Browse… dialog against a fake API: folders level by level
 * with breadcrumbs, paging, sorting, picking a folder or a file, and the API's refusal in the dialog.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { BrowseModal } from '../components/browse-modal';
import { browseStart, draftOf, EndpointsEditor, withPicked, type EndpointDraft } from '../components/endpoints-editor';
import { crumbsOf, normalizePath, parentPath } from '../lib/browse';
import type { BrowseEntry } from '../lib/catalog-types';
import type { StorageIndex } from '../lib/storages';
import { dialogNamed, installFakeApi, type Call } from './fake-api';

const api = installFakeApi();

// jsdom has no showModal: open the dialog the way a browser does, so its content is accessible.
beforeAll(() => {
  const proto = HTMLDialogElement.prototype as Partial<HTMLDialogElement>;
  proto.showModal ??= function (this: HTMLDialogElement) { this.setAttribute('open', ''); };
  proto.close ??= function (this: HTMLDialogElement) { this.removeAttribute('open'); };
});

const entry = (path: string, type: 'file' | 'folder', size: number | null = type === 'file' ? 1024 : null): BrowseEntry => ({
  name: path.slice(path.lastIndexOf('/') + 1), path, type, size, mtime: '2026-01-02T03:04:05Z', mode: 420, uid: 0, gid: 0, link_target: null, storage_class: null,
});

/** A small tree: /projects/{apollo,gemini}, /projects/notes.txt, /README.md; /big holds 250 files. */
const TREE: Record<string, BrowseEntry[]> = {
  '/': [entry('/big', 'folder'), entry('/projects', 'folder'), entry('/README.md', 'file', 10)],
  '/projects': [entry('/projects/apollo', 'folder'), entry('/projects/gemini', 'folder'), entry('/projects/notes.txt', 'file', 2048)],
  '/projects/apollo': [entry('/projects/apollo/brief.txt', 'file', 5)],
  '/projects/gemini': [],
  '/big': Array.from({ length: 250 }, (_, i) => entry(`/big/f${String(i).padStart(3, '0')}`, 'file')),
};

/** Serves GET /{kind}/{id}/files from TREE, with paging and the name filter; unknown folders are the API's 404. */
function browseHandler(kind = 'nas_shares', id = 's1') {
  return ({ method, path }: Call): [number, unknown] | undefined => {
    const prefix = `/${kind}/${id}/files`;
    if (method !== 'GET' || !path.startsWith(prefix)) return undefined;
    const q = new URLSearchParams(path.slice(prefix.length + 1));
    const dir = q.get('path') ?? '/';
    const all = TREE[dir];
    if (!all) return [404, { messages: [`Path ${dir} not found`], details: { path: [{ error: 'not_found', value: dir }] } }];
    const name = q.get('name')?.replace(/^~%|%$/g, '');
    let rows = name ? all.filter((e) => e.name.includes(name)) : all;
    if (q.get('sort_by') === 'size:desc') rows = [...rows].sort((a, b) => (b.size ?? -1) - (a.size ?? -1));
    const offset = Number(q.get('offset') ?? 0);
    const limit = Number(q.get('limit') ?? 50);
    return [200, { count: rows.length, path: dir, truncated: false, files: rows.slice(offset, offset + limit) }];
  };
}

const browseCalls = () => api.calls.filter((c) => c.path.includes('/files')).map((c) => Object.fromEntries(new URLSearchParams(c.path.split('?')[1])));

async function openModal(props: Partial<Parameters<typeof BrowseModal>[0]> = {}) {
  const picked: string[] = [];
  const closed: number[] = [];
  await act(async () => {
    render(<BrowseModal kind="nas_shares" id="s1" name="projects" initialPath="/" files onPick={(p) => picked.push(p)} onClose={() => closed.push(1)} {...props} />);
  });
  return { picked, closed, dialog: dialogNamed(`Browse ${props.name ?? 'projects'}`) };
}

describe('path helpers', () => {
  it('normalizes, climbs and splits paths into breadcrumbs', () => {
    expect(normalizePath('a//b/')).toBe('/a/b');
    expect(normalizePath('')).toBe('/');
    expect(parentPath('/a/b')).toBe('/a');
    expect(parentPath('/a')).toBe('/');
    expect(parentPath('/')).toBe('/');
    expect(crumbsOf('/a/b')).toEqual([{ name: '/', path: '/' }, { name: 'a', path: '/a' }, { name: 'b', path: '/a/b' }]);
  });
  it('fills a destination with the picked path, adds a source to the others (replacing the default /)', () => {
    expect(withPicked('/old', '/new', 'destinations')).toBe('/new');
    expect(withPicked('/', '/a', 'sources')).toBe('/a');
    expect(withPicked('', '/a', 'sources')).toBe('/a');
    expect(withPicked('/a', '/b', 'sources')).toBe('/a\n/b');
    expect(withPicked('/a\n/b', '/a', 'sources')).toBe('/a\n/b');
    expect(withPicked('/a\n/b', '/', 'sources')).toBe('/');
    expect(browseStart('/a\n/b/c.txt', 'sources')).toBe('/b');
    expect(browseStart('/out/2026', 'destinations')).toBe('/out/2026');
    expect(browseStart('', 'sources')).toBe('/');
  });
});

describe('BrowseModal', () => {
  it('lists a folder, folders first with sizes, and walks down and back up with the breadcrumbs', async () => {
    api.serve(browseHandler());
    const { dialog } = await openModal();
    const table = await within(dialog).findByRole('table', { name: 'Contents of /' });
    await within(table).findByText('README.md');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-entry'))).toEqual(['/big', '/projects', '/README.md']);
    expect(within(rows[2] as HTMLElement).getByText('10 B')).toBeTruthy();

    fireEvent.click(within(dialog).getByRole('button', { name: 'Open projects' }));
    await within(dialog).findByRole('table', { name: 'Contents of /projects' });
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Open apollo' }));
    await within(dialog).findByText('brief.txt');
    const crumbs = within(dialog).getByRole('navigation', { name: 'Folder path' });
    expect(crumbs.textContent).toBe('Root/projects/apollo');
    expect(within(crumbs).getByText('apollo').getAttribute('aria-current')).toBe('location');

    fireEvent.click(within(crumbs).getByRole('button', { name: 'projects' }));
    await within(dialog).findByRole('table', { name: 'Contents of /projects' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Root' }));
    await within(dialog).findByRole('table', { name: 'Contents of /' });
    expect(browseCalls().map((q) => q.path)).toEqual(['/', '/projects', '/projects/apollo', '/projects', '/']);
  });

  it('picks the folder shown, or an entry of it; files only where files may be picked', async () => {
    api.serve(browseHandler());
    const source = await openModal({ initialPath: '/projects' });
    await within(source.dialog).findByText('notes.txt');
    fireEvent.click(within(source.dialog).getByRole('button', { name: 'Select /projects/notes.txt' }));
    expect(source.picked).toEqual(['/projects/notes.txt']);
    expect(source.closed).toHaveLength(1);
  });

  it('offers only folders to a destination, and "Choose this folder" picks the one shown', async () => {
    api.serve(browseHandler());
    const dest = await openModal({ initialPath: '/projects', files: false });
    await within(dest.dialog).findByText('notes.txt');
    expect(within(dest.dialog).queryByRole('button', { name: 'Select /projects/notes.txt' })).toBeNull();
    expect(within(dest.dialog).getByRole('button', { name: 'Select /projects/gemini' })).toBeTruthy();
    fireEvent.click(within(dest.dialog).getByRole('button', { name: 'Open gemini' }));
    await within(dest.dialog).findByText('This folder is empty.');
    fireEvent.click(within(dest.dialog).getByRole('button', { name: 'Choose this folder' }));
    expect(dest.picked).toEqual(['/projects/gemini']);
  });

  it('pages a big folder and sorts by size', async () => {
    api.serve(browseHandler());
    const { dialog } = await openModal({ initialPath: '/big' });
    await within(dialog).findByText('f000');
    expect(within(dialog).getByText('1–100 of 250')).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Next page' }));
    await within(dialog).findByText('f100');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Next page' }));
    await within(dialog).findByText('201–250 of 250');
    expect((within(dialog).getByRole('button', { name: 'Next page' }) as HTMLButtonElement).disabled).toBe(true);
    expect(browseCalls().map((q) => [q.offset ?? '0', q.limit])).toEqual([['0', '100'], ['100', '100'], ['200', '100']]);

    fireEvent.click(within(dialog).getByRole('button', { name: /Size/ }));
    await within(dialog).findByText('1–100 of 250');
    expect(browseCalls().at(-1)?.sort_by).toBe('size:desc');
    // Largest first, then smallest first, then the default order (folders first, by name).
    fireEvent.click(within(dialog).getByRole('button', { name: /Size/ }));
    await act(async () => undefined);
    expect(browseCalls().at(-1)?.sort_by).toBe('size:asc');
    fireEvent.click(within(dialog).getByRole('button', { name: /Size/ }));
    await act(async () => undefined);
    expect(browseCalls().at(-1)?.sort_by).toBeUndefined();
    // Three pages of 100 rows rendered in jsdom: over vitest's 5 s default once, on a loaded CI machine.
  }, 30_000);

  it('filters by name without submitting an enclosing form', async () => {
    api.serve(browseHandler());
    let submitted = 0;
    await act(async () => {
      render(
        <form onSubmit={(e) => { e.preventDefault(); submitted += 1; }}>
          <BrowseModal kind="nas_shares" id="s1" name="projects" initialPath="/big" files onPick={() => undefined} onClose={() => undefined} />
        </form>,
      );
    });
    const dialog = dialogNamed('Browse projects');
    await within(dialog).findByText('f000');
    const filter = within(dialog).getByRole('searchbox', { name: 'Filter by name' });
    fireEvent.change(filter, { target: { value: 'f24' } });
    // Enter filters now; its default (submitting the task form around the dialog) is prevented.
    expect(fireEvent.keyDown(filter, { key: 'Enter' })).toBe(false);
    await within(dialog).findByText('f249');
    expect(within(dialog).queryByText('f000')).toBeNull();
    expect(browseCalls().at(-1)?.name).toBe('~%f24%');
    expect(submitted).toBe(0);
  });

  it('shows the API\'s refusal in the dialog, and the breadcrumbs still lead back', async () => {
    api.serve(browseHandler());
    const { dialog } = await openModal({ initialPath: '/gone/away' });
    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toContain('Path /gone/away not found');
    expect(within(dialog).queryByRole('table')).toBeNull();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Root' }));
    await within(dialog).findByText('README.md');
    expect(within(dialog).queryByRole('alert')).toBeNull();
  });
});

describe('EndpointsEditor Browse…', () => {
  const storages: StorageIndex = {
    shares: [{ id: 's1', nas_id: 'n1', pool_id: null, name: 'projects', created_at: '', updated_at: '' }],
    nas: [{ id: 'n1', name: 'filer', type: 'nfs_v4', created_at: '', updated_at: '' }],
    buckets: [{ id: 'b1', cloud_connector_id: 'c1', pool_id: null, name: 'media', location: null, created_at: '', updated_at: '' }],
    pools: [{ id: 'p1', name: 'tier', comment: null, type: 'active_archive', content: 'nas', created_at: '', updated_at: '' }],
    name: () => undefined,
  };

  function Harness({ initial, role }: { initial: EndpointDraft[]; role: 'sources' | 'destinations' }) {
    const [value, setValue] = useState(initial);
    return <EndpointsEditor role={role} value={value} onChange={setValue} types={['nas', 'cloud']} storages={storages} errors={{}} />;
  }

  it('browses the chosen share and fills the paths with the picked folder', async () => {
    api.serve(browseHandler());
    await act(async () => {
      render(<Harness role="sources" initial={[draftOf({ type: 'nas', storage_id: 's1', node_paths: ['/'] })]} />);
    });
    fireEvent.click(screen.getByRole('button', { name: 'Browse source 1' }));
    const dialog = dialogNamed('Browse projects');
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Select /projects' }));
    expect((screen.getByLabelText('Paths') as HTMLTextAreaElement).value).toBe('/projects');
    expect(document.querySelector('dialog[aria-label="Browse projects"]')).toBeNull();

    // A second pick adds a source; the browser opens beside the last one.
    fireEvent.click(screen.getByRole('button', { name: 'Browse source 1' }));
    fireEvent.click(await within(dialogNamed('Browse projects')).findByRole('button', { name: 'Select /README.md' }));
    expect((screen.getByLabelText('Paths') as HTMLTextAreaElement).value).toBe('/projects\n/README.md');
    expect(browseCalls().map((q) => q.path)).toEqual(['/', '/']);
  });

  it('browses a bucket through its own endpoint; a pool or no storage cannot be browsed', async () => {
    api.serve(browseHandler('cloud_buckets', 'b1'));
    await act(async () => {
      render(<Harness role="destinations" initial={[
        draftOf({ type: 'cloud', storage_id: 'b1', node_paths: ['/projects'] }), { type: 'nas', target: 'pool:p1', paths: '/' }, { type: 'nas', target: '', paths: '/' },
      ]} />);
    });
    expect((screen.getByRole('button', { name: 'Browse destination 2' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Browse destination 3' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Browse destination 1' }));
    const dialog = dialogNamed('Browse media');
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Open apollo' }));
    await within(dialog).findByText('brief.txt');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Choose this folder' }));
    expect((document.getElementById('destinations-0-paths') as HTMLTextAreaElement).value).toBe('/projects/apollo');
    expect(api.calls.every((c) => c.path.startsWith('/cloud_buckets/b1/files?'))).toBe(true);
  });
});
