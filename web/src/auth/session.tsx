//! Who is signed in: the token (kept in localStorage by the API client, so a reload stays signed in) and the
//! account it belongs to (`GET /v1/users/me`).

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { client as defaultClient, type Client } from '../api/client';
import type { User } from '../api/types';

export interface Session {
  client: Client;
  user: User | null;
  /** True while the stored token is being checked. */
  loading: boolean;
  logIn(username: string, password: string): Promise<void>;
  signUp(username: string, password: string): Promise<void>;
  logOut(): void;
  refresh(): Promise<void>;
}

const Ctx = createContext<Session | null>(null);

export function SessionProvider({ children, client = defaultClient, initialUser }: { children: ReactNode; client?: Client; initialUser?: User }) {
  const [user, setUser] = useState<User | null>(initialUser ?? null);
  const [loading, setLoading] = useState(!initialUser && client.signedIn);
  const qc = useQueryClient();

  const logOut = useCallback(() => {
    client.setToken(null);
    setUser(null);
    qc.clear();
  }, [client, qc]);

  const refresh = useCallback(async () => {
    try {
      setUser(await client.me());
    } catch {
      // A token that no longer works (expired, revoked) ends the session.
      logOut();
    } finally {
      setLoading(false);
    }
  }, [client, logOut]);

  useEffect(() => {
    client.onUnauthorized = logOut;
    if (!initialUser && client.signedIn) void refresh();
    return () => {
      client.onUnauthorized = null;
    };
  }, [client, initialUser, logOut, refresh]);

  const value = useMemo<Session>(
    () => ({
      client,
      user,
      loading,
      logOut,
      refresh,
      async logIn(username, password) {
        await client.logIn(username, password);
        setUser(await client.me());
      },
      async signUp(username, password) {
        await client.signUp(username, password);
        await client.logIn(username, password);
        setUser(await client.me());
      },
    }),
    [client, user, loading, logOut, refresh],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): Session {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
