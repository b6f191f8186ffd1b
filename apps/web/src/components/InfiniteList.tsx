import { useCallback, type ReactNode } from 'react';
import { useInfiniteQuery, type QueryKey } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get } from '../api/client';
import type { Page } from '../api/types';
import { ErrorNotice, Loading } from './ui';

const PAGE_SIZE = 20;

/** `path` with `limit` and, after the first page, `cursor` (api.md: lists are paginated on a cursor). */
export function pageUrl(path: string, limit: number, cursor: string): string {
  const [base, search = ''] = path.split('?');
  const params = new URLSearchParams(search);
  params.set('limit', String(limit));
  if (cursor) params.set('cursor', cursor);
  return `${base}?${params}`;
}

/**
 * One of the API's paginated lists, page after page on its cursor
 * (`{items, nextCursor}`), with TanStack Query's infinite query: `items` is
 * every page loaded so far, `sentinel` a ref for the element whose coming into
 * view loads the next page (infinite scroll). `P` may carry more than the
 * items (the notifications' unread count).
 */
export function useCursorList<P extends Page<unknown>>(queryKey: QueryKey, path: string, { pageSize = PAGE_SIZE, enabled = true }: { pageSize?: number; enabled?: boolean } = {}) {
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => get<P>(pageUrl(path, pageSize, pageParam)),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled,
  });
  const { hasNextPage, isFetching, fetchNextPage } = query;
  // a callback ref: observes whichever element is mounted now (the list appears after its first page)
  const sentinel = useCallback(
    (el: Element | null) => {
      if (!el || !hasNextPage || typeof IntersectionObserver === 'undefined') return;
      const observer = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting) && !isFetching) void fetchNextPage();
      });
      observer.observe(el);
      return () => observer.disconnect();
    },
    [hasNextPage, isFetching, fetchNextPage],
  );
  const items = (query.data?.pages.flatMap((p) => p.items) ?? []) as P['items'];
  return { ...query, items, sentinel };
}

export type CursorList<P extends Page<unknown>> = ReturnType<typeof useCursorList<P>>;

/**
 * The states every list page shows the same way: its loading error, the first
 * load, the empty list, then the items (`children`) and below them the end of
 * the list: the next page loading as it scrolls into view, a button doing the
 * same for keyboards and screen readers, or the end reached.
 */
export function InfiniteList<P extends Page<unknown>>({
  list,
  empty,
  end,
  children,
}: {
  list: CursorList<P>;
  /** Shown when the list has no item at all. */
  empty: string;
  /** Shown once every page is loaded (nothing by default). */
  end?: string;
  children: (items: P['items']) => ReactNode;
}) {
  const { t } = useTranslation('common');
  return (
    <>
      <ErrorNotice error={list.error} />
      {list.isPending ? (
        list.fetchStatus === 'idle' ? null : <Loading />
      ) : list.items.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <>
          {children(list.items)}
          <div ref={list.sentinel} className="sentinel" data-testid="list-end" data-more={list.hasNextPage ? 'true' : 'false'}>
            {list.isFetchingNextPage ? (
              <Loading />
            ) : list.hasNextPage ? (
              <button type="button" className="link" onClick={() => void list.fetchNextPage()}>
                {t('loadMore')}
              </button>
            ) : end ? (
              <span className="muted">{end}</span>
            ) : null}
          </div>
        </>
      )}
    </>
  );
}
