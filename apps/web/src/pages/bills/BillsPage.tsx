import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get } from '../../api/client';
import type { Bill, BillerAccount } from '../../api/types';
import { ErrorNotice, Loading, MoneyText } from '../../components/ui';
import { KycBanner } from '../wallet/KycBanner';

export const useMyAccounts = () => useQuery({ queryKey: ['biller-accounts'], queryFn: () => get<BillerAccount[]>('/v1/me/biller-accounts') });
export const useMyBills = () => useQuery({ queryKey: ['my-bills'], queryFn: () => get<Bill[]>('/v1/me/bills') });

export default function BillsPage() {
  const { t } = useTranslation('bills');
  const accounts = useMyAccounts();
  const bills = useMyBills();
  const nameOf = (billerId: string) => accounts.data?.find((a) => a.billerId === billerId)?.billerName ?? '';
  return (
    <section>
      <h1>{t('title')}</h1>
      <KycBanner />
      <h2>{t('openBills')}</h2>
      <ErrorNotice error={bills.error} />
      {bills.isPending ? (
        <Loading />
      ) : !bills.data?.length ? (
        <p className="muted">{t('noOpenBills')}</p>
      ) : (
        <ul className="list" aria-label={t('openBills')}>
          {bills.data.map((b) => (
            <li key={b.id} className="row">
              <div>
                <strong>{nameOf(b.billerId)}</strong>
                <br />
                <small className="muted">
                  {b.customerRef} · {t('period', { period: b.period })} · {t('due', { date: b.dueDate })}
                </small>
              </div>
              <div className="right">
                <MoneyText amount={b.outstanding} currency={b.currency} />
                <br />
                <Link className="button small" to={`/bills/${b.id}/pay`}>
                  {t('pay')}
                  <span className="sr-only">
                    {' '}
                    {nameOf(b.billerId)} {b.period}
                  </span>
                </Link>
              </div>
            </li>
          ))}
        </ul>
      )}
      <h2>{t('accounts')}</h2>
      <ErrorNotice error={accounts.error} />
      {accounts.data && accounts.data.length > 0 && (
        <ul className="list" aria-label={t('accounts')}>
          {accounts.data.map((a) => (
            <li key={a.id} className="row">
              <div>
                <strong>{a.alias ?? a.billerName}</strong>
                <br />
                <small className="muted">
                  {a.billerName} · {a.customerRef}
                </small>
              </div>
              <div className="right">
                <Link to={`/bills/accounts/${a.id}/auto-pay`}>{a.autoPay ? t('autoPay.on') : t('autoPay.off')}</Link>
              </div>
            </li>
          ))}
        </ul>
      )}
      <Link className="button secondary" to="/bills/link">
        {t('linkAccount')}
      </Link>
    </section>
  );
}
