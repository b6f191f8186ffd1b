import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get } from '../../api/client';
import type { Money, Page, WalletTransaction } from '../../api/types';
import { InfiniteList, useCursorList } from '../../components/InfiniteList';
import { DateTime, ErrorNotice, Loading, MoneyText } from '../../components/ui';
import { KycBanner } from './KycBanner';

export default function WalletPage() {
  const { t } = useTranslation('wallet');
  const wallet = useQuery({ queryKey: ['wallet'], queryFn: () => get<{ balances: Money[] }>('/v1/wallet') });
  const history = useCursorList<Page<WalletTransaction>>(['wallet', 'transactions'], '/v1/wallet/transactions');

  const balances = wallet.data?.balances ?? [];
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
      <InfiniteList list={history} empty={t('noTransactions')} end={t('endOfHistory')}>
        {(items) => (
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
          </ul>
        )}
      </InfiniteList>
    </section>
  );
}
