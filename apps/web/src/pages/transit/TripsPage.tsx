import { useState } from 'react';
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, needsNewKey, newIdempotencyKey, post } from '../../api/client';
import type { Arrears, ArrearsPaid, Page, Trip } from '../../api/types';
import { InfiniteList, useCursorList } from '../../components/InfiniteList';
import { DateTime, ErrorNotice, MoneyText } from '../../components/ui';

const STEPS = ['concession', 'transfer', 'cap'] as const;

function FareBreakdown({ trip }: { trip: Trip }) {
  const { t } = useTranslation('transit');
  const b = trip.fareBreakdown;
  const currency = trip.fare?.currency ?? 'CNY';
  if (!b) return null;
  return (
    <dl className="facts breakdown" aria-label={t('breakdown.title')}>
      <dt>{t('breakdown.base')}</dt>
      <dd>
        <MoneyText amount={b.base ?? 0} currency={currency} />
      </dd>
      {STEPS.filter((s) => (b[s] ?? 0) > 0).map((s) => (
        <div key={s} className="contents">
          <dt>{t(`breakdown.${s}`)}</dt>
          <dd>
            -<MoneyText amount={b[s]!} currency={currency} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

export default function TripsPage() {
  const { t } = useTranslation('transit');
  const queryClient = useQueryClient();
  const [key, setKey] = useState(newIdempotencyKey);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [paid, setPaid] = useState<ArrearsPaid | null>(null);
  const trips = useCursorList<Page<Trip>>(['transit', 'trips'], '/v1/transit/trips');

  // what is owed comes from the server, not from the trips pages loaded so far
  const arrears = useQuery({ queryKey: ['transit', 'arrears'], queryFn: () => get<Arrears>('/v1/transit/arrears') });
  const owed = arrears.data && arrears.data.unpaidTrips > 0 ? arrears.data : null;

  const payArrears = async () => {
    setBusy(true);
    setError(null);
    try {
      setPaid(await post<ArrearsPaid>('/v1/transit/arrears/pay', {}, { idempotencyKey: key }));
      setKey(newIdempotencyKey());
      await queryClient.invalidateQueries({ queryKey: ['transit'] });
      void queryClient.invalidateQueries({ queryKey: ['wallet'] });
    } catch (err) {
      setError(err);
      if (needsNewKey(err)) setKey(newIdempotencyKey());
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>{t('trips.title')}</h1>
      <p>
        <Link to="/transit">{t('backToCode')}</Link>
      </p>
      {owed && (
        <div className="card arrears" data-testid="arrears">
          <h2>{t('arrears.title')}</h2>
          <p>
            {t('arrears.summary', { count: owed.unpaidTrips })}{' '}
            {owed.total.map((m, i) => (
              <span key={m.currency}>
                {i > 0 && ' + '}
                <MoneyText amount={m.amount} currency={m.currency} />
              </span>
            ))}
          </p>
          <button type="button" onClick={() => void payArrears()} disabled={busy}>
            {t('arrears.pay')}
          </button>
          {error instanceof Error && 'code' in error && error.code === 'INSUFFICIENT_FUNDS' && (
            <p>
              <Link to="/wallet/top-up">{t('arrears.topUp')}</Link>
            </p>
          )}
        </div>
      )}
      {paid && (
        <p className="notice ok" role="status" data-testid="arrears-paid">
          {t('arrears.paid', { count: paid.paidTrips })}
        </p>
      )}
      <ErrorNotice error={error} />
      <InfiniteList list={trips} empty={t('trips.none')}>
        {(items) => (
          <ul className="list" aria-label={t('trips.title')}>
            {items.map((trip) => (
              <li key={trip.id} className="row trip" data-testid="trip" data-status={trip.status}>
                <div>
                  <strong>{t('trips.route', { route: trip.routeCode })}</strong>
                  <br />
                  <small className="muted">
                    <DateTime iso={trip.boardedAt} />
                    {trip.alightedAt && (
                      <>
                        {' → '}
                        <DateTime iso={trip.alightedAt} />
                      </>
                    )}
                  </small>
                  <FareBreakdown trip={trip} />
                </div>
                <div className="right">
                  {trip.fare ? <MoneyText amount={trip.fare.amount} currency={trip.fare.currency} /> : <span className="muted">—</span>}
                  <br />
                  <small className={`status status-${trip.status}`}>{t(`trips.statuses.${trip.status}`, { defaultValue: trip.status })}</small>
                </div>
              </li>
            ))}
          </ul>
        )}
      </InfiniteList>
    </section>
  );
}
