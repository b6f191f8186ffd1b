/**
 * The one way the web app talks to the server: the public HTTP API (api.md).
 * Access token in memory, refresh token in localStorage; a 401 refreshes the
 * session once (single flight) and retries, so the access token's short life
 * is invisible to the user. A refresh the server refuses ends the session;
 * one that could not be asked (offline, a captive portal, a deploy) keeps it.
 */
export interface FieldProblem {
  field: string;
  problems: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super(message);
  }
}

const REFRESH_KEY = 'citypay.refreshToken';
let accessToken: string | null = null;
let refreshing: Promise<Refresh> | null = null;
const listeners = new Set<(signedIn: boolean) => void>();

export const session = {
  hasSession: (): boolean => accessToken !== null || localStorage.getItem(REFRESH_KEY) !== null,
  refreshToken: (): string | null => localStorage.getItem(REFRESH_KEY),
  set(tokens: { accessToken: string; refreshToken: string }): void {
    accessToken = tokens.accessToken;
    localStorage.setItem(REFRESH_KEY, tokens.refreshToken);
    listeners.forEach((l) => l(true));
  },
  clear(): void {
    accessToken = null;
    localStorage.removeItem(REFRESH_KEY);
    listeners.forEach((l) => l(false));
  },
  subscribe(listener: (signedIn: boolean) => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/** A fresh Idempotency-Key for one user intent (a retry of that intent reuses it). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Tabs share the refresh token (localStorage) and the server revokes the
 * whole session when a spent one is used again: refreshes are serialised
 * across tabs with a Web Lock, and each reads the newest token inside it.
 */
function acrossTabs<T>(work: () => Promise<T>): Promise<T> {
  return typeof navigator !== 'undefined' && navigator.locks ? navigator.locks.request('citypay.refresh', work) : work();
}

/**
 * What renewing the session came to: `refreshed`; `refused` (the refresh
 * token is spent, revoked or expired: the session is over); `unavailable`
 * (no answer, or not the server's verdict on the token: offline, a captive
 * portal, 429, 5xx). The refresh token is spent only when the server accepts
 * it, so an unavailable refresh keeps it for the next try: a rider at the bus
 * gate must not be signed out by a deploy.
 */
type Refresh = 'refreshed' | 'refused' | 'unavailable';

/** A renewal with no answer after this long is `unavailable`. */
const REFRESH_TIMEOUT_MS = 10_000;

async function refreshOnce(): Promise<Refresh> {
  refreshing ??= acrossTabs(async (): Promise<Refresh> => {
    const token = session.refreshToken();
    if (!token) return 'refused';
    try {
      const res = await fetch('/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: token }),
        // a link that drops packets must not hold every request (and the other tabs' lock) for ever
        signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS),
      });
      if (res.status === 400 || res.status === 401) {
        session.clear();
        return 'refused';
      }
      if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return 'unavailable';
      session.set((await res.json()) as { accessToken: string; refreshToken: string });
      return 'refreshed';
    } catch {
      return 'unavailable';
    }
  }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** Thrown when the session could not be renewed for now: retryable, the session kept. */
const sessionUnavailable = () => new ApiError(503, 'SERVICE_UNAVAILABLE', 'The session could not be renewed; retry');

export interface RequestOptions {
  body?: unknown;
  idempotencyKey?: string;
  /** false: sent without a token and never refreshed (login, register, sandbox). */
  auth?: boolean;
  /** Give up after this long (the fetch rejects): for what must fall back to something else in time. */
  timeoutMs?: number;
}

async function send(method: string, path: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
  if (opts.auth !== false && accessToken) headers.authorization = `Bearer ${accessToken}`;
  return fetch(path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined,
  });
}

export async function api<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const authed = opts.auth !== false;
  if (authed && !accessToken && session.refreshToken() && (await refreshOnce()) === 'unavailable') throw sessionUnavailable();
  let res = await send(method, path, opts);
  if (res.status === 401 && authed && session.refreshToken()) {
    const renewed = await refreshOnce();
    if (renewed === 'unavailable') throw sessionUnavailable();
    if (renewed === 'refreshed') res = await send(method, path, opts);
  }
  const text = await res.text();
  const body = text && (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const e = (body ?? {}) as { code?: string; message?: string; details?: FieldProblem[] };
    // a 401 after a renewed (or absent) session: the server does not know this session
    if (res.status === 401 && authed) session.clear();
    throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText, e.details);
  }
  return body as T;
}

export const get = <T>(path: string, opts?: RequestOptions) => api<T>('GET', path, opts);
export const post = <T>(path: string, body?: unknown, opts?: RequestOptions) => api<T>('POST', path, { ...opts, body: body ?? {} });

/**
 * A request whose body the caller reads itself (the live event stream): the
 * same session handling as api() (refresh before the first request and once
 * on a 401), without parsing the answer.
 */
export async function authorizedFetch(path: string, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
  if (!accessToken && session.refreshToken() && (await refreshOnce()) === 'unavailable') throw sessionUnavailable();
  const go = () =>
    fetch(path, { signal: init.signal, headers: { ...init.headers, ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}) } });
  let res = await go();
  if (res.status === 401 && session.refreshToken()) {
    const renewed = await refreshOnce();
    if (renewed === 'unavailable') throw sessionUnavailable();
    if (renewed === 'refreshed') res = await go();
  }
  return res;
}

/**
 * After a request with an Idempotency-Key fails: true when the key must be
 * replaced before the user tries again. The server answers a key it has seen
 * with its first answer, so a refusal (402, 422 ...) would come back for ever;
 * a network error or a 5xx is retried with the same key (it may have run).
 */
export function needsNewKey(error: unknown): boolean {
  return error instanceof ApiError && error.status < 500 && error.code !== 'IDEMPOTENCY_IN_PROGRESS';
}

/** What a page shows when what it was asked for is not among the caller's (its message: errors.NOT_FOUND). */
export const NOT_FOUND = new ApiError(404, 'NOT_FOUND', 'not found');
