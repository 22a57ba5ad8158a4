/**
 * The console: the sign-in gate, then the signed-in frame and the page for the current URL.
 * Routes are a plain table (see lib/router.tsx); unknown paths land on a "not found" page.
 */
import { Shell, PageHeader } from './components/layout';
import { Empty, Loading } from './components/ui';
import { Link, match, Redirect, useLocation } from './lib/router';
import { SessionProvider, useSession } from './lib/session';
import { ApiKeysPage } from './pages/api-keys';
import { DashboardPage } from './pages/dashboard';
import { ExecutionPage } from './pages/execution';
import { ExecutionsPage } from './pages/executions';
import { GroupsPage } from './pages/groups';
import { MoversPage } from './pages/movers';
import { TapePage } from './pages/tape';
import { SignIn } from './pages/sign-in';
import { CloudPage } from './pages/storage-cloud';
import { NasPage } from './pages/storage-nas';
import { StorageDetailPage } from './pages/storage-detail';
import { PoolsPage } from './pages/storage-pools';
import { TaskDetailPage } from './pages/task-detail';
import { TaskEditorPage } from './pages/task-editor';
import { TasksPage } from './pages/tasks';
import { UsersPage } from './pages/users';
import type { ReactNode } from 'react';

const ROUTES: Array<[string, (p: Record<string, string>) => ReactNode]> = [
  ['/dashboard', () => <DashboardPage />],
  ['/tasks', () => <TasksPage />],
  ['/tasks/new', () => <TaskEditorPage />],
  ['/tasks/:id', (p) => <TaskDetailPage key={p.id} id={p.id as string} />],
  ['/tasks/:id/edit', (p) => <TaskEditorPage key={p.id} id={p.id as string} />],
  ['/executions', () => <ExecutionsPage />],
  ['/executions/:id', (p) => <ExecutionPage key={p.id} id={p.id as string} />],
  ['/movers', () => <MoversPage />],
  ['/tape', () => <TapePage />],
  ['/storages/nas', () => <NasPage />],
  ['/storages/nas/shares/:id', (p) => <StorageDetailPage key={p.id} kind="nas_shares" id={p.id as string} />],
  ['/storages/cloud', () => <CloudPage />],
  ['/storages/cloud/buckets/:id', (p) => <StorageDetailPage key={p.id} kind="cloud_buckets" id={p.id as string} />],
  ['/storages/pools', () => <PoolsPage />],
  ['/storages/pools/:id', (p) => <StorageDetailPage key={p.id} kind="pools" id={p.id as string} />],
  ['/users', () => <UsersPage />],
  ['/groups', () => <GroupsPage />],
  ['/account', () => <ApiKeysPage />],
];

function Routed() {
  const { path } = useLocation();
  if (path === '/' || path === '/storages' || path === '/signin') return <Redirect to={path === '/storages' ? '/storages/nas' : '/tasks'} />;
  for (const [pattern, render] of ROUTES) {
    const params = match(pattern, path);
    if (params) return <>{render(params)}</>;
  }
  return (
    <>
      <PageHeader title="Page not found" />
      <Empty title="There is nothing at this address" action={<Link to="/tasks">Go to tasks</Link>} />
    </>
  );
}

function Gate() {
  const { user, checking } = useSession();
  if (checking) return <div className="boot"><Loading label="Restoring your session…" /></div>;
  if (!user) return <SignIn />;
  return (
    <Shell>
      <Routed />
    </Shell>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Gate />
    </SessionProvider>
  );
}
