import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get } from '../../api/client';
import type { Money, Page, WalletTransaction } from '../../api/types';
import { DateTime, ErrorNotice, Loading, MoneyText } from '../../components/ui';
import { KycBanner } from './KycBanner';

const PAGE = 20;

export default function WalletPage() {
  const { t } = useTranslation('wallet');
  const wallet = useQuery({ queryKey: ['wallet'], queryFn: () => get<{ balances: Money[] }>('/v1/wallet') });
  const history = useInfiniteQuery({
    queryKey: ['wallet', 'transactions'],
    queryFn: ({ pageParam }) =>
      get<Page<WalletTransaction>>(`/v1/wallet/transactions?limit=${PAGE}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

  // infinite scroll: the next page loads when the end of the list comes into view
  const sentinel = useRef<HTMLLIElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = history;
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasNextPage) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const balances = wallet.data?.balances ?? [];
  const items = history.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section>
      <h1>{t('title')}</h1>
      <KycBanner />
      <div className="card balance">
        <h2>{t('balance')}</h2>
        {wallet.isPending ? (
          <Loading />
        ) : balances.length === 0 ? (
          <p className="big">
            <MoneyText amount={0} currency="CNY" />
          </p>
        ) : (
          balances.map((b) => (
            <p key={b.currency} className="big" data-testid={`balance-${b.currency}`}>
              <MoneyText amount={b.amount} currency={b.currency} />
            </p>
          ))
        )}
        <ErrorNotice error={wallet.error} />
        <Link className="button" to="/wallet/top-up">
          {t('topUp')}
        </Link>
      </div>
      <h2>{t('history')}</h2>
      <ErrorNotice error={history.error} />
      {history.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="muted">{t('noTransactions')}</p>
      ) : (
        <ul className="list" aria-label={t('history')}>
          {items.map((tx) => (
            <li key={tx.id} className="row">
              <div>
                <strong>{t(`kinds.${tx.kind}`, { defaultValue: tx.kind })}</strong>
                <br />
                <small className="muted">
                  <DateTime iso={tx.createdAt} />
                </small>
              </div>
              <div className="right">
                <span className={tx.amount < 0 ? 'out' : 'in'}>
                  {tx.amount > 0 ? '+' : ''}
                  <MoneyText amount={tx.amount} currency={tx.currency} />
                </span>
                <br />
                <small className="muted">
                  {t('balanceAfter')} <MoneyText amount={tx.balanceAfter} currency={tx.currency} />
                </small>
              </div>
            </li>
          ))}
          <li ref={sentinel} className="sentinel" aria-hidden={!isFetchingNextPage}>
            {isFetchingNextPage ? <Loading /> : !hasNextPage ? <span className="muted">{t('endOfHistory')}</span> : null}
          </li>
        </ul>
      )}
    </section>
  );
}
