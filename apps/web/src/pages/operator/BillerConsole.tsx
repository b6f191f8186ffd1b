import { useState, type ChangeEvent } from 'react';
import { useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { get, post } from '../../api/client';
import type { DailySettlements, Page, WebhookDelivery } from '../../api/types';
import { InfiniteList, useCursorList } from '../../components/InfiniteList';
import { DateTime, ErrorNotice, FileField, Loading, MoneyText } from '../../components/ui';
import { formatMoney } from '../../money';
import { ConsoleHeading } from './ConsoleHeading';
import { billsFromCsv, parseCsv } from './csv';

const CHUNK = 500;

interface Refusal {
  line: number;
  customerRef: string;
  code: string;
  problems?: string[];
}

function shanghaiDay(t: number): string {
  return new Date(t + 8 * 3600_000).toISOString().slice(0, 10);
}

export default function BillerConsole() {
  const { billerId = '' } = useParams();
  return (
    <section>
      <ConsoleHeading kind="BILLER" orgId={billerId} />
      <BillUpload billerId={billerId} />
      <SettlementChart billerId={billerId} />
      <Deliveries billerId={billerId} />
    </section>
  );
}

function BillUpload({ billerId }: { billerId: string }) {
  const { t } = useTranslation('operator');
  const queryClient = useQueryClient();
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [result, setResult] = useState<{ created: number; updated: number; refusals: Refusal[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [fileError, setFileError] = useState<string | null>(null);

  const upload = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    setResult(null);
    setError(null);
    setFileError(null);
    const { bills, missing } = billsFromCsv(parseCsv(await file.text()));
    if (missing.length) return setFileError(t('upload.missingColumns', { columns: missing.join(', ') }));
    if (!bills.length) return setFileError(t('upload.empty'));
    const total = { created: 0, updated: 0, refusals: [] as Refusal[] };
    setProgress({ done: 0, total: bills.length });
    try {
      // in chunks, so a large file shows its progress; the server checks each row on its own
      for (let start = 0; start < bills.length; start += CHUNK) {
        const chunk = bills.slice(start, start + CHUNK);
        const res = await post<{ created: number; updated: number; rejected: { index: number; code: string; problems?: string[] }[] }>(
          `/v1/billers/${billerId}/bills`,
          { bills: chunk },
        );
        total.created += res.created;
        total.updated += res.updated;
        for (const r of res.rejected) {
          // line numbers as the operator's spreadsheet shows them (header is line 1)
          total.refusals.push({ line: start + r.index + 2, customerRef: String(chunk[r.index]?.customerRef ?? ''), code: r.code, problems: r.problems });
        }
        setProgress({ done: Math.min(start + CHUNK, bills.length), total: bills.length });
      }
      setResult(total);
      await queryClient.invalidateQueries({ queryKey: ['settlements', billerId] });
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div className="card">
      <h2>{t('upload.title')}</h2>
      <p className="muted">{t('upload.format')}</p>
      <code className="block">customerRef,period,amount,currency,dueDate,customerName</code>
      <FileField id="bills-csv" label={t('upload.choose')} accept=".csv,text/csv" onFile={(e) => void upload(e)} />
      {progress && (
        <div className="field">
          <label htmlFor="upload-progress">{t('upload.progress', { done: progress.done, total: progress.total })}</label>
          <progress id="upload-progress" max={progress.total} value={progress.done} />
        </div>
      )}
      {fileError && (
        <p className="notice error" role="alert">
          {fileError}
        </p>
      )}
      <ErrorNotice error={error} />
      {result && (
        <div role="status" data-testid="upload-result">
          <p className="notice ok">{t('upload.summary', { created: result.created, updated: result.updated, refused: result.refusals.length })}</p>
          {result.refusals.length > 0 && (
            <table className="table">
              <caption>{t('upload.refusals')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('upload.line')}</th>
                  <th scope="col">{t('upload.customerRef')}</th>
                  <th scope="col">{t('upload.reason')}</th>
                </tr>
              </thead>
              <tbody>
                {result.refusals.map((r) => (
                  <tr key={r.line}>
                    <td>{r.line}</td>
                    <td>{r.customerRef}</td>
                    <td>
                      {t(`upload.codes.${r.code}`, { defaultValue: r.code })}
                      {r.problems?.length ? (
                        <small className="muted">
                          {' '}
                          ({r.problems.map((p) => t(`upload.problems.${p.split(' ')[0]}`, { defaultValue: p })).join('; ')})
                        </small>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  );
}

function SettlementChart({ billerId }: { billerId: string }) {
  const { t, i18n } = useTranslation('operator');
  const now = Date.now();
  const to = shanghaiDay(now);
  const from = shanghaiDay(now - 29 * 86_400_000);
  const q = useQuery({
    queryKey: ['settlements', billerId, from, to],
    queryFn: () => get<DailySettlements>(`/v1/billers/${billerId}/settlements/daily?from=${from}&to=${to}`),
  });
  const days = q.data?.days ?? [];
  const currency = q.data?.currency ?? 'CNY';
  const sum = days.reduce((s, d) => s + d.total.amount, 0);
  const count = days.reduce((s, d) => s + d.count, 0);
  const data = days.map((d) => ({ date: d.date.slice(5), amount: d.total.amount, count: d.count }));
  return (
    <div className="card">
      <h2>{t('settlements.title')}</h2>
      <ErrorNotice error={q.error} />
      {q.isPending ? (
        <Loading />
      ) : (
        <>
          <p data-testid="settlement-summary">
            {t('settlements.summary', { count, from, to })} <MoneyText amount={sum} currency={currency} />
          </p>
          <figure className="chart" aria-label={t('settlements.chartLabel', { from, to })} data-testid="settlement-chart">
            <ResponsiveContainer width="100%" height={240}>
              <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="date" tick={{ fontSize: 11 }} interval="preserveStartEnd" />
                <YAxis tickFormatter={(v: number) => formatMoney(v, currency, i18n.language).replace(/\.00$/, '')} width={72} tick={{ fontSize: 11 }} />
                <Tooltip formatter={(v) => formatMoney(Number(v), currency, i18n.language)} labelFormatter={(l) => String(l)} />
                <Bar dataKey="amount" name={t('settlements.amount')} fill="#0b6e4f" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </figure>
          <details>
            <summary>{t('settlements.table')}</summary>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('settlements.date')}</th>
                  <th scope="col">{t('settlements.count')}</th>
                  <th scope="col">{t('settlements.amount')}</th>
                </tr>
              </thead>
              <tbody>
                {days.map((d) => (
                  <tr key={d.date}>
                    <td>{d.date}</td>
                    <td>{d.count}</td>
                    <td>
                      <MoneyText amount={d.total.amount} currency={d.total.currency} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </div>
  );
}

function Deliveries({ billerId }: { billerId: string }) {
  const { t } = useTranslation('operator');
  const deliveries = useCursorList<Page<WebhookDelivery>>(['webhook-deliveries', billerId], `/v1/billers/${billerId}/webhook-deliveries`);
  return (
    <div className="card">
      <h2>{t('webhooks.title')}</h2>
      <InfiniteList list={deliveries} empty={t('webhooks.none')}>
        {(items) => (
          <table className="table" data-testid="webhook-deliveries">
            <caption className="sr-only">{t('webhooks.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('webhooks.event')}</th>
                <th scope="col">{t('webhooks.status')}</th>
                <th scope="col">{t('webhooks.attempts')}</th>
                <th scope="col">{t('webhooks.created')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id}>
                  <td>
                    {t(`webhooks.events.${d.eventType.replace(/\./g, '_')}`, { defaultValue: d.eventType })}
                    <br />
                    <code>{d.eventType}</code>
                  </td>
                  <td>
                    {t(`webhooks.statuses.${d.status}`, { defaultValue: d.status })}
                    {d.lastStatusCode ? ` ${t('webhooks.httpStatus', { code: d.lastStatusCode })}` : ''}
                    {d.lastError ? <small className="muted"> {d.lastError}</small> : null}
                  </td>
                  <td>{d.attempts}</td>
                  <td>
                    <DateTime iso={d.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </InfiniteList>
    </div>
  );
}
