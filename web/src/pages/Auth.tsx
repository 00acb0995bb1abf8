//! Log in and Sign up screens.

import { useId, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { useSession } from '../auth/session';
import { ErrorMessage } from '../components/ErrorMessage';

function AuthForm({ mode }: { mode: 'login' | 'signup' }) {
  const session = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const title = mode === 'login' ? 'Log in' : 'Sign up';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'login') await session.logIn(username.trim(), password);
      else await session.signUp(username.trim(), password);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="auth">
      <form className="card form" onSubmit={submit} aria-labelledby={`${id}-t`}>
        <h1 id={`${id}-t`}>{title}</h1>
        <label htmlFor={`${id}-u`}>Username</label>
        <input id={`${id}-u`} name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
        {mode === 'signup' && <p className="hint">3 to 32 characters: a–z, 0–9 and _</p>}
        <label htmlFor={`${id}-p`}>Password</label>
        <input
          id={`${id}-p`}
          name="password"
          type="password"
          autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {mode === 'signup' && <p className="hint">At least 8 characters</p>}
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>
          {title}
        </button>
        <p className="switch">
          {mode === 'login' ? (
            <>
              New here? <Link href="/signup">Sign up</Link>
            </>
          ) : (
            <>
              Have an account? <Link href="/login">Log in</Link>
            </>
          )}
        </p>
      </form>
    </main>
  );
}

export const LoginPage = () => <AuthForm mode="login" />;
export const SignupPage = () => <AuthForm mode="signup" />;
