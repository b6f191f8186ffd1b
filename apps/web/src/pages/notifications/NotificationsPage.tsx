import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { post } from '../../api/client';
import type { NotificationPage } from '../../api/types';
import { InfiniteList, useCursorList } from '../../components/InfiniteList';
import { DateTime, ErrorNotice } from '../../components/ui';
import { useLiveNotifications } from '../../notifications/live';

export default function NotificationsPage() {
  const { t, i18n } = useTranslation('notifications');
  const queryClient = useQueryClient();
  const { connected } = useLiveNotifications();
  const lang = i18n.language === 'en' ? 'en' : 'zh-CN';
  const [error, setError] = useState<unknown>(null);
  const list = useCursorList<NotificationPage>(['notifications', 'list', lang], `/v1/me/notifications?lang=${lang}`);

  const act = async (path: string) => {
    setError(null);
    try {
      await post(path);
      await queryClient.invalidateQueries({ queryKey: ['notifications'] });
    } catch (err) {
      setError(err);
    }
  };

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
      <ErrorNotice error={error} />
      <InfiniteList list={list} empty={t('none')}>
        {(items) => (
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
          </ul>
        )}
      </InfiniteList>
    </section>
  );
}
