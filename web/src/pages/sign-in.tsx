/** The sign-in page: username and password for a session token (POST /users/sign_in). */
import { useState, type FormEvent } from 'react';
import { Button, ErrorBanner, Field, Notice } from '../components/ui';
import { ApiError } from '../lib/errors';
import { useSession } from '../lib/session';

export function SignIn() {
  const { signIn, expired } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(username, password);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
      setBusy(false);
    }
  }

  return (
    <div className="signin-page">
      <div className="signin-panel">
        <div className="signin-brand">
          <svg viewBox="0 0 32 32" width="40" height="40" aria-hidden>
            <rect width="32" height="32" rx="7" fill="#2563eb" />
            <path d="M5 19h22l-3.5 6h-15z" fill="#fff" />
            <path d="M9 17V9h6v8zm8 0v-5h6v5z" fill="#bfdbfe" />
          </svg>
          <div>
            <h1>Barge</h1>
            <p>Open data mover</p>
          </div>
        </div>
        <form className="card signin-card" onSubmit={submit}>
          <h2>Sign in to the console</h2>
          {expired && !error && <Notice tone="warning">Your session has expired. Please sign in again.</Notice>}
          <ErrorBanner error={error} title="Sign-in failed" />
          <Field label="Username" htmlFor="username">
            <input id="username" name="username" autoComplete="username" autoFocus required value={username} onChange={(e) => setUsername(e.target.value)} />
          </Field>
          <Field label="Password" htmlFor="password">
            <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          </Field>
          <Button type="submit" variant="primary" busy={busy} className="btn-block">Sign in</Button>
        </form>
        <p className="signin-foot">Nodeum Data Mover API v2 · <a href="/api/v2/openapi.json">OpenAPI document</a></p>
      </div>
    </div>
  );
}
