/**
 * The frame around every signed-in page: a left navigation (dashboard, tasks, activity, movers, storages, tape, people), the
 * signed-in user with sign-out, and a page header with title, subtitle and actions.
 */
import type { ReactNode } from 'react';
import { Link, useLocation } from '../lib/router';
import { useSession } from '../lib/session';

interface NavItem {
  to: string;
  label: string;
  icon: ReactNode;
  admin?: boolean;
}

const I = (d: string) => (
  <svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" aria-hidden>
    <path d={d} />
  </svg>
);

const SECTIONS: Array<{ title: string; items: NavItem[] }> = [
  {
    title: 'Data movement',
    items: [
      { to: '/dashboard', label: 'Dashboard', icon: I('M4 20V10M10 20V4M16 20v-7M22 20H2') },
      { to: '/tasks', label: 'Tasks', icon: I('M9 6h11M9 12h11M9 18h11M4 6h.01M4 12h.01M4 18h.01') },
      { to: '/executions', label: 'Activity', icon: I('M3 12h4l3-8 4 16 3-8h4') },
      { to: '/movers', label: 'Movers', icon: I('M3 7h11v9H3zM14 10h4l3 3v3h-7M7.5 19a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3M17.5 19a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3'), admin: true },
    ],
  },
  {
    title: 'Storage',
    items: [
      { to: '/storages/nas', label: 'NAS & shares', icon: I('M4 6h16v5H4zM4 13h16v5H4zM8 8.5h.01M8 15.5h.01') },
      { to: '/storages/cloud', label: 'Cloud', icon: I('M7 18h10a4 4 0 0 0 .6-7.95A6 6 0 0 0 6.2 9.1 4.5 4.5 0 0 0 7 18z') },
      { to: '/storages/pools', label: 'Pools', icon: I('M12 3l9 5-9 5-9-5zM3 13l9 5 9-5') },
      { to: '/tape', label: 'Tape', icon: I('M3 6h18v12H3zM8.5 14.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5M15.5 14.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5M8.5 14.5h7'), admin: true },
    ],
  },
  {
    title: 'Access',
    items: [
      { to: '/users', label: 'Users', icon: I('M16 19v-1a4 4 0 0 0-4-4H7a4 4 0 0 0-4 4v1M9.5 10a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM21 19v-1a4 4 0 0 0-3-3.87M15 4.13a3 3 0 0 1 0 5.74'), admin: true },
      { to: '/groups', label: 'Groups', icon: I('M16 20v-1a3 3 0 0 0-3-3h-2a3 3 0 0 0-3 3v1M12 12.5a3 3 0 1 0 0-6 3 3 0 0 0 0 6M6 10.5a2 2 0 1 0 0-4M18 10.5a2 2 0 1 0 0-4M3 19v-.5A2.5 2.5 0 0 1 5.5 16M21 19v-.5a2.5 2.5 0 0 0-2.5-2.5'), admin: true },
      { to: '/account', label: 'API keys', icon: I('M15 7a4 4 0 1 1-3.9 4.9L4 19v-3h3v-3h3l1.1-1.1A4 4 0 0 1 15 7zM16 9h.01') },
    ],
  },
];

export function Shell({ children }: { children: ReactNode }) {
  const { user, signOut } = useSession();
  const { path } = useLocation();
  return (
    <div className="shell">
      <aside className="sidebar">
        <Link to="/tasks" className="brand" aria-label="Barge home">
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden>
            <rect width="32" height="32" rx="7" fill="#2563eb" />
            <path d="M5 19h22l-3.5 6h-15z" fill="#fff" />
            <path d="M9 17V9h6v8zm8 0v-5h6v5z" fill="#bfdbfe" />
          </svg>
          <span>Barge</span>
          <span className="brand-sub">Data Mover</span>
        </Link>
        <nav aria-label="Main">
          {SECTIONS.map((s) => (
            <div key={s.title} className="nav-section">
              <div className="nav-title">{s.title}</div>
              {s.items.filter((i) => !i.admin || user?.is_admin).map((i) => (
                <Link key={i.to} to={i.to} className={`nav-item ${path === i.to || path.startsWith(i.to + '/') ? 'nav-active' : ''}`}>
                  {i.icon}
                  <span>{i.label}</span>
                </Link>
              ))}
            </div>
          ))}
        </nav>
        <div className="sidebar-foot">
          <div className="avatar" aria-hidden>{user?.username.slice(0, 1).toUpperCase()}</div>
          <div className="who">
            <strong>{user?.username}</strong>
            <span>{user?.is_admin ? 'Administrator' : 'User'}</span>
          </div>
          <button type="button" className="signout" onClick={signOut} title="Sign out" aria-label="Sign out">
            {I('M15 17l5-5-5-5M20 12H9M12 19H5V5h7')}
          </button>
        </div>
      </aside>
      <main className="main">{children}</main>
    </div>
  );
}

export function PageHeader({ title, subtitle, actions, crumbs }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode; crumbs?: Array<{ to: string; label: string }> }) {
  return (
    <header className="page-header">
      <div>
        {crumbs && (
          <nav className="crumbs" aria-label="Breadcrumb">
            {crumbs.map((c) => (
              <span key={c.to}>
                <Link to={c.to}>{c.label}</Link>
                <span className="crumb-sep" aria-hidden>/</span>
              </span>
            ))}
          </nav>
        )}
        <h1>{title}</h1>
        {subtitle && <p className="page-subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}
