/**
 * Who is signed in. Sign-in trades a username and password for a JWT (POST /users/sign_in); the
 * token is kept by lib/api.ts, the user here. A reload keeps the session (sessionStorage) and
 * checks it with GET /users/me; an expired token brings the sign-in page back.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { get, getToken, onUnauthorized, post, setToken } from './api';
import type { User } from './types';

interface Session {
  user: User | null;
  /** True while a stored token is being checked at startup. */
  checking: boolean;
  /** Set when the session ended by itself (token expired), for the sign-in page to explain. */
  expired: boolean;
  signIn(username: string, password: string): Promise<void>;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(() => getToken() !== null);
  const [expired, setExpired] = useState(false);

  useEffect(() => {
    if (!getToken()) return;
    get<User>('/users/me')
      .then(setUser, () => setToken(null))
      .finally(() => setChecking(false));
  }, []);

  useEffect(
    () =>
      onUnauthorized(() => {
        setToken(null);
        setUser(null);
        setExpired(true);
      }),
    [],
  );

  const signIn = useCallback(async (username: string, password: string) => {
    const r = await post<{ token: string; user: User }>('/users/sign_in', { user: { username, password } });
    setToken(r.token);
    setExpired(false);
    setUser(r.user);
  }, []);

  const signOut = useCallback(() => {
    setToken(null);
    setUser(null);
    setExpired(false);
  }, []);

  const value = useMemo(() => ({ user, checking, expired, signIn, signOut }), [user, checking, expired, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
