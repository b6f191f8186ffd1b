import { useEffect, useRef, useState } from 'react';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, post } from '../../api/client';
import type { NotificationPage } from '../../api/types';
import { DateTime, ErrorNotice, Loading } from '../../components/ui';
import { useLiveNotifications } from '../../notifications/live';

const PAGE = 20;

export default function NotificationsPage() {
  const { t, i18n } = useTranslation('notifications');
  const queryClient = useQueryClient();
  const { connected } = useLiveNotifications();
  const lang = i18n.language === 'en' ? 'en' : 'zh-CN';
  const [error, setError] = useState<unknown>(null);
  const list = useInfiniteQuery({
    queryKey: ['notifications', 'list', lang],
    queryFn: ({ pageParam }) => get<NotificationPage>(`/v1/me/notifications?limit=${PAGE}&lang=${lang}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

  const sentinel = useRef<HTMLLIElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasNextPage) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const act = async (path: string) => {
    setError(null);
    try {
      await post(path);
      await queryClient.invalidateQueries({ queryKey: ['notifications'] });
    } catch (err) {
      setError(err);
    }
  };

  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const unread = list.data?.pages[0]?.unreadCount ?? 0;
  return (
    <section>
      <h1>{t('title')}</h1>
      <p className="muted" data-testid="unread-summary">
        {t('unreadCount', { count: unread })} · {connected ? t('live') : t('notLive')}
      </p>
      {unread > 0 && (
        <button type="button" onClick={() => void act('/v1/me/notifications/read-all')}>
          {t('readAll')}
        </button>
      )}
      <ErrorNotice error={error ?? list.error} />
      {list.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="muted">{t('none')}</p>
      ) : (
        <ul className="list" aria-label={t('title')}>
          {items.map((n) => (
            <li key={n.id} className={`row${n.readAt ? '' : ' unread'}`} data-testid="notification" data-type={n.type}>
              <div>
                <strong>
                  {!n.readAt && <span className="dot" aria-hidden="true" />}
                  {n.title}
                  {!n.readAt && <span className="sr-only"> ({t('unread')})</span>}
                </strong>
                <br />
                <span>{n.body}</span>
                <br />
                <small className="muted">
                  <DateTime iso={n.createdAt} />
                </small>
              </div>
              {!n.readAt && (
                <button type="button" className="small" onClick={() => void act(`/v1/me/notifications/${n.id}/read`)} aria-label={t('markReadOf', { title: n.title })}>
                  {t('markRead')}
                </button>
              )}
            </li>
          ))}
          <li ref={sentinel} className="sentinel" aria-hidden={!isFetchingNextPage}>
            {isFetchingNextPage ? <Loading /> : null}
          </li>
        </ul>
      )}
    </section>
  );
}
