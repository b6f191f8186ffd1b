import { useState } from 'react';
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, post } from '../../api/client';
import type { ReconciliationReport } from '../../api/types';
import { DateTime, ErrorNotice, Field, Loading, MoneyText } from '../../components/ui';

const yesterday = () => new Date(Date.now() + 8 * 3600_000 - 86_400_000).toISOString().slice(0, 10);

export default function ReconciliationPage() {
  const { t } = useTranslation(['admin', 'wallet']);
  const queryClient = useQueryClient();
  const [date, setDate] = useState(yesterday);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(date);
  const report = useQuery({
    queryKey: ['reconciliation', date],
    queryFn: () => get<ReconciliationReport>(`/v1/admin/reconciliation?date=${date}`),
    enabled: valid,
  });
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      queryClient.setQueryData(['reconciliation', date], await post<ReconciliationReport>('/v1/admin/reconciliation/runs', { date }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const r = report.data;
  return (
    <section>
      <p>
        <Link to="/admin">{t('title')}</Link>
      </p>
      <h1>{t('reconciliation.title')}</h1>
      <div className="actions">
        <Field label={t('reconciliation.date')} type="date" value={date} onChange={(e) => setDate(e.target.value)} />
        <button type="button" disabled={busy || !valid} onClick={() => void run()}>
          {t('reconciliation.run')}
        </button>
      </div>
      <ErrorNotice error={error ?? report.error} />
      {report.isPending && valid ? (
        <Loading />
      ) : r ? (
        <>
          <h2>{t('reconciliation.runs')}</h2>
          {r.runs.length === 0 ? (
            <p className="muted">{t('reconciliation.noRuns')}</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('reconciliation.provider')}</th>
                  <th scope="col">{t('reconciliation.ranAt')}</th>
                  <th scope="col">{t('reconciliation.platformRows')}</th>
                  <th scope="col">{t('reconciliation.providerRows')}</th>
                  <th scope="col">{t('reconciliation.mismatches')}</th>
                </tr>
              </thead>
              <tbody>
                {r.runs.map((run) => (
                  <tr key={run.provider}>
                    <td>{t(`wallet:providers.${run.provider}`)}</td>
                    <td>
                      <DateTime iso={run.ranAt} />
                    </td>
                    <td>{run.platformRows}</td>
                    <td>{run.providerRows}</td>
                    <td>{run.error ? t('reconciliation.failed', { error: run.error }) : run.mismatches}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>{t('reconciliation.mismatchList')}</h2>
          {r.mismatches.length === 0 ? (
            <p className="notice ok" data-testid="no-mismatches">
              {t('reconciliation.allMatch')}
            </p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('reconciliation.provider')}</th>
                  <th scope="col">{t('reconciliation.kind')}</th>
                  <th scope="col">{t('reconciliation.tradeNo')}</th>
                  <th scope="col">{t('reconciliation.platformAmount')}</th>
                  <th scope="col">{t('reconciliation.providerAmount')}</th>
                </tr>
              </thead>
              <tbody>
                {r.mismatches.map((m) => (
                  <tr key={`${m.provider}-${m.outTradeNo}-${m.outRefundNo ?? ''}-${m.kind}`}>
                    <td>{t(`wallet:providers.${m.provider}`)}</td>
                    <td>
                      {t(`reconciliation.kinds.${m.kind}`, { defaultValue: m.kind })} ({t(`reconciliation.entryTypes.${m.entryType}`)})
                    </td>
                    <td>{m.outRefundNo ?? m.outTradeNo}</td>
                    <td>{m.platformAmount === null ? '—' : <MoneyText amount={m.platformAmount} currency={m.currency} />}</td>
                    <td>{m.providerAmount === null ? '—' : <MoneyText amount={m.providerAmount} currency={m.currency} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : null}
    </section>
  );
}
