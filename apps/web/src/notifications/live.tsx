import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { authorizedFetch, get } from '../api/client';
import type { AppNotification, NotificationPage } from '../api/types';
import { useAuth } from '../auth/auth';

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
  retry?: number;
}

/** Splits a text/event-stream into events (HTML spec: fields, comments, multi-line data, blank-line dispatch). */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let current: { id?: string; event?: string; data: string[]; retry?: number } = { data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r\n|\r|\n/)) !== -1) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (current.data.length > 0 || current.retry !== undefined) yield { id: current.id, event: current.event, data: current.data.join('\n'), retry: current.retry };
        current = { data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const text = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') current.data.push(text);
      else if (field === 'event') current.event = text;
      else if (field === 'id' && !text.includes('\0')) current.id = text;
      else if (field === 'retry' && /^\d+$/.test(text)) current.retry = Number(text);
    }
  }
}

/** What a notification changes on screen: the lists and balances it is about are fetched again. */
function refreshFor(queryClient: QueryClient, n: AppNotification): void {
  void queryClient.invalidateQueries({ queryKey: ['notifications'] });
  // the query keys the pages use (src/pages): a key that no page uses refreshes nothing
  const bills = [['my-bills'], ['biller-accounts'], ['auto-pay']];
  const keys: Record<string, string[][]> = {
    TOP_UP_SUCCEEDED: [['wallet'], ['payment-order']],
    BILL_PAID: [...bills, ['wallet'], ['bill-payment']],
    BILL_ISSUED: bills,
    BILL_DUE: bills,
    AUTO_PAY_FAILED: bills,
    RIDE_CHARGED: [['transit'], ['wallet']],
    TRIP_UNPAID: [['transit'], ['wallet']],
    ARREARS_CLEARED: [['transit'], ['wallet']],
    CARD_CHARGED: [['campus']],
    CARD_FROZEN: [['campus']],
    SUBSIDY_CREDITED: [['campus']],
  };
  for (const queryKey of keys[n.type] ?? []) void queryClient.invalidateQueries({ queryKey });
}

const LiveContext = createContext<{ latest: AppNotification | null; connected: boolean }>({ latest: null, connected: false });

export const useLiveNotifications = () => useContext(LiveContext);

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Keeps `GET /v1/me/events` open while signed in (a fetch stream: the route
 * takes the Authorization header, which EventSource cannot send), resuming
 * with Last-Event-ID after a drop or an expired access token, as
 * EventSource would. Each notification refreshes what it is about and is
 * announced (role=status) without a reload.
 */
export function LiveNotificationsProvider({ children }: { children: ReactNode }) {
  const { signedIn } = useAuth();
  const { i18n } = useTranslation();
  const queryClient = useQueryClient();
  const [latest, setLatest] = useState<AppNotification | null>(null);
  const [connected, setConnected] = useState(false);
  const lastId = useRef<string | undefined>(undefined);
  const lang = i18n.language === 'en' ? 'en' : 'zh-CN';

  useEffect(() => {
    if (!signedIn) {
      lastId.current = undefined;
      return;
    }
    const abort = new AbortController();
    void (async () => {
      let retry = 3000;
      while (!abort.signal.aborted) {
        try {
          const res = await authorizedFetch(`/v1/me/events?lang=${lang}`, {
            headers: { accept: 'text/event-stream', ...(lastId.current ? { 'last-event-id': lastId.current } : {}) },
            signal: abort.signal,
          });
          if (res.status === 401) return; // the session ended
          if (res.ok && res.body) {
            setConnected(true);
            // without a resume point the stream starts now: what came before it is in the list
            if (!lastId.current) void queryClient.invalidateQueries({ queryKey: ['notifications'] });
            for await (const e of readEvents(res.body)) {
              if (e.retry !== undefined) retry = e.retry;
              if (!e.data || !e.event) continue;
              if (e.id) lastId.current = e.id;
              try {
                const n = JSON.parse(e.data) as AppNotification;
                refreshFor(queryClient, n);
                setLatest(n);
              } catch {
                // not a notification: nothing to show
              }
            }
          }
        } catch {
          // offline, or aborted: try again below
        }
        setConnected(false);
        await sleep(retry, abort.signal);
      }
    })();
    return () => abort.abort();
  }, [signedIn, lang, queryClient]);

  return <LiveContext.Provider value={{ latest, connected }}>{children}</LiveContext.Provider>;
}

/** The unread count for the nav badge (one small request; live events refetch it). */
export function useUnreadCount(): number {
  const { signedIn } = useAuth();
  const { i18n } = useTranslation();
  const q = useQuery({
    queryKey: ['notifications', 'unread', i18n.language],
    queryFn: () => get<NotificationPage>(`/v1/me/notifications?limit=1&lang=${i18n.language === 'en' ? 'en' : 'zh-CN'}`),
    enabled: signedIn,
    staleTime: 60_000,
    retry: false,
  });
  return q.data?.unreadCount ?? 0;
}

export function UnreadBadge() {
  const { t } = useTranslation('notifications');
  const count = useUnreadCount();
  if (count === 0) return null;
  return (
    <>
      <span className="badge" aria-hidden="true" data-testid="unread-badge">
        {count > 99 ? '99+' : count}
      </span>
      <span className="sr-only">{t('unreadCount', { count })}</span>
    </>
  );
}

/** The newest live notification, shown for a while and announced politely to screen readers. */
export function LiveToast() {
  const { t } = useTranslation('notifications');
  const { latest } = useLiveNotifications();
  const [shown, setShown] = useState<AppNotification | null>(null);
  useEffect(() => {
    if (!latest) return;
    setShown(latest);
    const timer = setTimeout(() => setShown(null), 10_000);
    return () => clearTimeout(timer);
  }, [latest]);
  return (
    <div className="toast-region" role="status" aria-live="polite">
      {shown && (
        <div className="toast" data-testid="live-notification" data-type={shown.type}>
          <strong>{shown.title}</strong>
          <span>{shown.body}</span>
          <button type="button" className="link" onClick={() => setShown(null)}>
            {t('dismiss')}
          </button>
        </div>
      )}
    </div>
  );
}
