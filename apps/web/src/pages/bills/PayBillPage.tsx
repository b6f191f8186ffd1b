import { useEffect, useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, needsNewKey, newIdempotencyKey, post } from '../../api/client';
import { PROVIDERS, type BillPayment, type PayResult, type Provider } from '../../api/types';
import { ErrorNotice, Field, Loading, MoneyText } from '../../components/ui';
import { parseAmount } from '../../money';
import { CheckoutPanel } from '../wallet/CheckoutPanel';
import { KycBanner } from '../wallet/KycBanner';
import { useMyAccounts, useMyBills } from './BillsPage';
import { useBillers } from './LinkAccountPage';

type Method = 'WALLET' | Provider;

export default function PayBillPage() {
  const { t } = useTranslation(['bills', 'wallet']);
  const { billId = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const bills = useMyBills();
  const accounts = useMyAccounts();
  const billers = useBillers();
  const [method, setMethod] = useState<Method>('WALLET');
  const [amount, setAmount] = useState('');
  const [amountError, setAmountError] = useState<string>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState(newIdempotencyKey);
  const [pending, setPending] = useState<PayResult | null>(null);

  // a provider payment lands when the provider says so: follow it
  const followed = useQuery({
    queryKey: ['bill-payment', pending?.payment.id],
    queryFn: () => get<BillPayment>(`/v1/payments/${pending!.payment.id}`),
    enabled: !!pending,
    refetchInterval: (q) => (q.state.data && q.state.data.status !== 'PENDING' ? false : 2000),
  });
  const landed = followed.data?.status === 'SUCCEEDED';
  useEffect(() => {
    if (landed) void queryClient.invalidateQueries({ queryKey: ['my-bills'] });
  }, [landed, queryClient]);
  if (landed) return <Navigate to={`/payments/${followed.data!.id}`} replace />;

  if (bills.isPending) return <Loading />;
  const bill = bills.data?.find((b) => b.id === billId);
  if (!bill && !pending) {
    return (
      <section className="narrow">
        <h1>{t('payTitle')}</h1>
        <ErrorNotice error={bills.error} />
        <p className="muted">{t('billNotOpen')}</p>
        <Link to="/bills">{t('title')}</Link>
      </section>
    );
  }
  const biller = billers.data?.find((b) => b.id === bill?.billerId);
  const billerName = accounts.data?.find((a) => a.billerId === bill?.billerId)?.billerName ?? biller?.name ?? '';
  const flexible = !!biller && (biller.allowsPartial || biller.allowsAdvance);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    let minor: number | undefined;
    if (flexible && amount.trim()) {
      const parsed = parseAmount(amount);
      if (parsed === null) {
        setAmountError(t('wallet:topUpForm.amountError'));
        return;
      }
      minor = parsed;
    }
    setAmountError(undefined);
    setBusy(true);
    setError(null);
    try {
      const res = await post<PayResult>(`/v1/bills/${bill!.id}/payments`, { method, ...(minor ? { amount: minor } : {}) }, { idempotencyKey: key });
      setKey(newIdempotencyKey());
      await queryClient.invalidateQueries({ queryKey: ['wallet'] });
      if (res.payment.status === 'SUCCEEDED') {
        await queryClient.invalidateQueries({ queryKey: ['my-bills'] });
        void navigate(`/payments/${res.payment.id}`, { replace: true });
      } else setPending(res);
    } catch (err) {
      // a refusal is stored under its key and would be answered again: another try is another intent
      if (needsNewKey(err)) setKey(newIdempotencyKey());
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (pending?.checkout) {
    const provider = pending.payment.method as Provider;
    return (
      <section className="narrow">
        <h1>{t('payTitle')}</h1>
        <p className="big">
          <MoneyText amount={pending.payment.amount} currency={pending.payment.currency} />
        </p>
        <p role="status" aria-live="polite">
          {t(`paymentStatus.${followed.data?.status ?? 'PENDING'}`)}
        </p>
        <CheckoutPanel provider={provider} checkout={pending.checkout} returnTo={`/payments/${pending.payment.id}`} />
      </section>
    );
  }

  return (
    <section className="narrow">
      <h1>{t('payTitle')}</h1>
      <KycBanner />
      <dl className="facts">
        <dt>{t('biller')}</dt>
        <dd>{billerName}</dd>
        <dt>{t('customerRef')}</dt>
        <dd>{bill!.customerRef}</dd>
        {bill!.customerNameMasked && (
          <>
            <dt>{t('customerName')}</dt>
            <dd>{bill!.customerNameMasked}</dd>
          </>
        )}
        <dt>{t('periodLabel')}</dt>
        <dd>{bill!.period}</dd>
        <dt>{t('dueDate')}</dt>
        <dd>{bill!.dueDate}</dd>
        <dt>{t('outstanding')}</dt>
        <dd>
          <MoneyText amount={bill!.outstanding} currency={bill!.currency} />
        </dd>
      </dl>
      <form onSubmit={(e) => void submit(e)} noValidate>
        {flexible && <Field label={t('amountOptional')} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} error={amountError} />}
        <fieldset>
          <legend>{t('method')}</legend>
          {(['WALLET', ...PROVIDERS] as Method[]).map((m) => (
            <label key={m} className="choice">
              <input type="radio" name="method" value={m} checked={method === m} onChange={() => setMethod(m)} />
              {m === 'WALLET' ? t('byWallet') : t(`wallet:providers.${m}`)}
            </label>
          ))}
        </fieldset>
        <ErrorNotice error={error} />
        <button type="submit" disabled={busy}>
          {t('payNow')}
        </button>
      </form>
    </section>
  );
}

