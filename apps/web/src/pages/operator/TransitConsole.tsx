import { useEffect, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, get, post } from '../../api/client';
import type { Currency, FarePolicy, RouteFare, TransitRoute, TransitSettlement, Vehicle } from '../../api/types';
import { ErrorNotice, Field, Loading, MoneyText, SelectField } from '../../components/ui';
import { parseAmount } from '../../money';
import { ConsoleHeading, useOrganization } from './ConsoleHeading';
import { shanghaiToday } from './shanghai';

function FareText({ fare }: { fare: RouteFare }) {
  const { t } = useTranslation('operator');
  if (fare.type === 'FLAT') return <MoneyText amount={fare.amount} currency={fare.currency} />;
  return (
    <span>
      {t('transit.distanceFare', { stops: fare.baseStops })} <MoneyText amount={fare.baseAmount} currency={fare.currency} /> +{' '}
      <MoneyText amount={fare.perStopAmount} currency={fare.currency} />/{t('transit.stop')} ≤ <MoneyText amount={fare.maxAmount} currency={fare.currency} />
    </span>
  );
}

function Routes({ operatorId, currency, routes }: { operatorId: string; currency: Currency; routes: TransitRoute[] }) {
  const { t } = useTranslation('operator');
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ code: '', name: '', type: 'FLAT', amount: '', baseAmount: '', baseStops: '3', perStopAmount: '', maxAmount: '' });
  const [error, setError] = useState<unknown>(null);
  const [invalid, setInvalid] = useState<string>();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const money = (s: string) => parseAmount(s);
    let fare: Record<string, unknown>;
    if (form.type === 'FLAT') {
      const amount = money(form.amount);
      if (amount === null) return setInvalid(t('transit.amountError'));
      fare = { type: 'FLAT', amount, currency };
    } else {
      const [baseAmount, perStopAmount, maxAmount] = [money(form.baseAmount), money(form.perStopAmount), money(form.maxAmount)];
      const baseStops = Number(form.baseStops);
      if (baseAmount === null || perStopAmount === null || maxAmount === null || !Number.isInteger(baseStops) || baseStops < 0) return setInvalid(t('transit.amountError'));
      fare = { type: 'DISTANCE', baseAmount, baseStops, perStopAmount, maxAmount, currency };
    }
    setInvalid(undefined);
    try {
      await post('/v1/transit/routes', { code: form.code.trim(), name: form.name.trim(), fare, operatorId });
      setForm({ ...form, code: '', name: '' });
      await queryClient.invalidateQueries({ queryKey: ['operator-transit', operatorId] });
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="card">
      <h2>{t('transit.routes')}</h2>
      {routes.length === 0 ? (
        <p className="muted">{t('transit.noRoutes')}</p>
      ) : (
        <table className="table">
          <caption className="sr-only">{t('transit.routes')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('transit.code')}</th>
              <th scope="col">{t('transit.name')}</th>
              <th scope="col">{t('transit.fare')}</th>
            </tr>
          </thead>
          <tbody>
            {routes.map((r) => (
              <tr key={r.id}>
                <td>{r.code}</td>
                <td>{r.name}</td>
                <td>
                  <FareText fare={r.fare} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={(e) => void submit(e)} noValidate>
        <h3>{t('transit.newRoute')}</h3>
        <Field label={t('transit.code')} value={form.code} onChange={set('code')} required />
        <Field label={t('transit.name')} value={form.name} onChange={set('name')} required />
        <SelectField label={t('transit.fareType')} value={form.type} onChange={set('type')}>
          <option value="FLAT">{t('transit.flat')}</option>
          <option value="DISTANCE">{t('transit.distance')}</option>
        </SelectField>
        {form.type === 'FLAT' ? (
          <Field label={t('transit.amount')} inputMode="decimal" value={form.amount} onChange={set('amount')} error={invalid} />
        ) : (
          <>
            <Field label={t('transit.baseAmount')} inputMode="decimal" value={form.baseAmount} onChange={set('baseAmount')} error={invalid} />
            <Field label={t('transit.baseStops')} inputMode="numeric" value={form.baseStops} onChange={set('baseStops')} />
            <Field label={t('transit.perStopAmount')} inputMode="decimal" value={form.perStopAmount} onChange={set('perStopAmount')} />
            <Field label={t('transit.maxAmount')} inputMode="decimal" value={form.maxAmount} onChange={set('maxAmount')} />
          </>
        )}
        <ErrorNotice error={error} />
        <button type="submit">{t('transit.addRoute')}</button>
      </form>
    </section>
  );
}

function Vehicles({ operatorId, routes, vehicles }: { operatorId: string; routes: TransitRoute[]; vehicles: Vehicle[] }) {
  const { t } = useTranslation('operator');
  const queryClient = useQueryClient();
  const [plate, setPlate] = useState('');
  const [routeCode, setRouteCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await post('/v1/transit/vehicles', { plate: plate.trim(), routeCode: routeCode || routes[0]?.code, operatorId });
      setPlate('');
      await queryClient.invalidateQueries({ queryKey: ['operator-transit', operatorId] });
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="card">
      <h2>{t('transit.vehicles')}</h2>
      {vehicles.length === 0 ? (
        <p className="muted">{t('transit.noVehicles')}</p>
      ) : (
        <table className="table">
          <caption className="sr-only">{t('transit.vehicles')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('transit.plate')}</th>
              <th scope="col">{t('transit.route')}</th>
              <th scope="col">{t('transit.sticker')}</th>
            </tr>
          </thead>
          <tbody>
            {vehicles.map((v) => (
              <tr key={v.id}>
                <td>{v.plate}</td>
                <td>{v.routeCode}</td>
                <td>
                  <Link to={`/operator/transit/${operatorId}/vehicles/${v.id}/sticker`} aria-label={t('transit.printStickerOf', { plate: v.plate })}>
                    {t('transit.printSticker')}
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {routes.length > 0 && (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <h3>{t('transit.newVehicle')}</h3>
          <Field label={t('transit.plate')} value={plate} onChange={(e) => setPlate(e.target.value)} required />
          <SelectField label={t('transit.route')} value={routeCode || routes[0].code} onChange={(e) => setRouteCode(e.target.value)}>
            {routes.map((r) => (
              <option key={r.id} value={r.code}>
                {r.code} {r.name}
              </option>
            ))}
          </SelectField>
          <ErrorNotice error={error} />
          <button type="submit">{t('transit.addVehicle')}</button>
        </form>
      )}
    </section>
  );
}

const yuan = (minor: number | undefined) => (minor === undefined ? '' : (minor / 100).toFixed(2));

function FarePolicyForm({ operatorId, currency }: { operatorId: string; currency: Currency }) {
  const { t } = useTranslation('operator');
  const policy = useQuery({ queryKey: ['operator-transit', operatorId, 'policy'], queryFn: () => get<FarePolicy>(`/v1/transit/operators/${operatorId}/fare-policy`) });
  const [form, setForm] = useState({ windowMinutes: '', discount: '', dailyCap: '', percentOff: '', minAge: '' });
  const [error, setError] = useState<unknown>(null);
  const [invalid, setInvalid] = useState<string>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    const p = policy.data;
    if (!p) return;
    setForm({
      windowMinutes: p.transfer ? String(p.transfer.windowMinutes) : '',
      discount: yuan(p.transfer?.discount.amount),
      dailyCap: yuan(p.dailyCap?.amount),
      percentOff: p.concessions?.SENIOR ? String(p.concessions.SENIOR.percentOff) : '',
      minAge: p.concessions?.SENIOR?.minAge !== undefined ? String(p.concessions.SENIOR.minAge) : '',
    });
  }, [policy.data]);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    const body: Record<string, unknown> = {};
    if (form.windowMinutes || form.discount) {
      const windowMinutes = Number(form.windowMinutes);
      const discount = parseAmount(form.discount);
      if (!Number.isInteger(windowMinutes) || windowMinutes < 1 || windowMinutes > 180 || discount === null) return setInvalid(t('transit.policyError'));
      body.transfer = { windowMinutes, discount: { amount: discount, currency } };
    }
    if (form.dailyCap) {
      const cap = parseAmount(form.dailyCap);
      if (cap === null) return setInvalid(t('transit.policyError'));
      body.dailyCap = { amount: cap, currency };
    }
    if (form.percentOff) {
      const percentOff = Number(form.percentOff);
      const minAge = form.minAge ? Number(form.minAge) : undefined;
      if (!Number.isInteger(percentOff) || percentOff < 0 || percentOff > 100 || (minAge !== undefined && !Number.isInteger(minAge))) return setInvalid(t('transit.policyError'));
      body.concessions = { SENIOR: { percentOff, ...(minAge !== undefined ? { minAge } : {}) } };
    }
    setInvalid(undefined);
    try {
      await api('PUT', `/v1/transit/operators/${operatorId}/fare-policy`, { body });
      setSaved(true);
      void policy.refetch();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="card">
      <h2>{t('transit.farePolicy')}</h2>
      <p className="muted">{t('transit.policyHint')}</p>
      {policy.isPending ? (
        <Loading />
      ) : (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <fieldset>
            <legend>{t('transit.transfer')}</legend>
            <Field label={t('transit.windowMinutes')} inputMode="numeric" value={form.windowMinutes} onChange={set('windowMinutes')} error={invalid} />
            <Field label={t('transit.discount')} inputMode="decimal" value={form.discount} onChange={set('discount')} />
          </fieldset>
          <Field label={t('transit.dailyCap')} inputMode="decimal" value={form.dailyCap} onChange={set('dailyCap')} />
          <fieldset>
            <legend>{t('transit.senior')}</legend>
            <Field label={t('transit.percentOff')} inputMode="numeric" value={form.percentOff} onChange={set('percentOff')} />
            <Field label={t('transit.minAge')} inputMode="numeric" value={form.minAge} onChange={set('minAge')} />
          </fieldset>
          <ErrorNotice error={error ?? policy.error} />
          {saved && (
            <p className="notice ok" role="status">
              {t('transit.policySaved')}
            </p>
          )}
          <button type="submit">{t('transit.savePolicy')}</button>
        </form>
      )}
    </section>
  );
}

function Settlements({ operatorId }: { operatorId: string }) {
  const { t } = useTranslation('operator');
  const [date, setDate] = useState(shanghaiToday);
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(date);
  const s = useQuery({
    queryKey: ['operator-transit', operatorId, 'settlements', date],
    queryFn: () => get<TransitSettlement>(`/v1/transit/settlements?date=${date}&operatorId=${operatorId}`),
    enabled: valid,
  });
  return (
    <section className="card">
      <h2>{t('transit.settlements')}</h2>
      <Field label={t('date')} type="date" value={date} onChange={(e) => setDate(e.target.value)} />
      <ErrorNotice error={s.error} />
      {s.data && (
        <table className="table" data-testid="transit-settlements">
          <caption>{t('transit.settlementSummary', { count: s.data.count, date: s.data.date })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('transit.route')}</th>
              <th scope="col">{t('transit.tripCount')}</th>
              <th scope="col">{t('settlements.amount')}</th>
            </tr>
          </thead>
          <tbody>
            {s.data.routes.map((r) => (
              <tr key={r.routeId}>
                <td>{r.routeCode}</td>
                <td>{r.count}</td>
                <td>
                  <MoneyText amount={r.total.amount} currency={r.total.currency} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export default function TransitConsole() {
  const { operatorId = '' } = useParams();
  const routes = useQuery({ queryKey: ['operator-transit', operatorId, 'routes'], queryFn: () => get<TransitRoute[]>(`/v1/transit/routes?operatorId=${operatorId}`) });
  const vehicles = useQuery({ queryKey: ['operator-transit', operatorId, 'vehicles'], queryFn: () => get<Vehicle[]>(`/v1/transit/vehicles?operatorId=${operatorId}`) });
  // fares are in the operator's own currency (a Macau or Hong Kong operator's are not yuan)
  const org = useOrganization(operatorId);
  const currency = org.data?.currency;
  return (
    <section>
      <ConsoleHeading kind="TRANSIT_OPERATOR" orgId={operatorId} />
      <ErrorNotice error={routes.error ?? vehicles.error} />
      {routes.isPending || vehicles.isPending || !currency ? (
        org.error ? null : <Loading />
      ) : (
        <div className="console-grid">
          <Routes operatorId={operatorId} currency={currency} routes={routes.data ?? []} />
          <Vehicles operatorId={operatorId} routes={routes.data ?? []} vehicles={vehicles.data ?? []} />
          <FarePolicyForm operatorId={operatorId} currency={currency} />
          <Settlements operatorId={operatorId} />
        </div>
      )}
    </section>
  );
}
