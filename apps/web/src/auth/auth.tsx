import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Navigate, useLocation } from 'react-router';
import { get, post, session } from '../api/client';
import type { Session, User } from '../api/types';
import { clearCredential } from '../pages/transit/offline';

interface AuthState {
  signedIn: boolean;
  user: User | undefined;
  loading: boolean;
  login(phone: string, password: string): Promise<void>;
  register(phone: string, password: string, displayName?: string): Promise<void>;
  logout(): Promise<void>;
}

/** The offline ride credential belongs to whoever was signed in: a new session starts without it. */
function forgetRideCredential(): void {
  clearCredential().catch(() => undefined);
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [signedIn, setSignedIn] = useState(session.hasSession());
  useEffect(() => session.subscribe(setSignedIn), []);

  const me = useQuery({ queryKey: ['me'], queryFn: () => get<User>('/v1/me'), enabled: signedIn, staleTime: 30_000 });

  const start = useCallback(
    (s: Session) => {
      forgetRideCredential();
      queryClient.clear();
      session.set(s);
      queryClient.setQueryData(['me'], s.user);
    },
    [queryClient],
  );

  const value = useMemo<AuthState>(
    () => ({
      signedIn,
      user: signedIn ? me.data : undefined,
      loading: signedIn && me.isPending,
      login: async (phone, password) => start(await post<Session>('/v1/auth/login', { phone, password }, { auth: false })),
      register: async (phone, password, displayName) =>
        start(await post<Session>('/v1/auth/register', { phone, password, ...(displayName ? { displayName } : {}) }, { auth: false })),
      logout: async () => {
        const refreshToken = session.refreshToken();
        try {
          if (refreshToken) await post('/v1/auth/logout', { refreshToken });
        } finally {
          forgetRideCredential();
          session.clear();
          queryClient.clear();
        }
      },
    }),
    [signedIn, me.data, me.isPending, start, queryClient],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}

export function hasRole(user: User | undefined, role: string): boolean {
  return !!user?.roles.some((r) => r.role === role);
}

/** Pages behind a session: anonymous visitors go to the login page and come back. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { signedIn } = useAuth();
  const location = useLocation();
  if (!signedIn) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}
