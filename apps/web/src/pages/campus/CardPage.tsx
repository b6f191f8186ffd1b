import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { NOT_FOUND, post } from '../../api/client';
import type { CampusCard, CardMovement, Page, RideCode } from '../../api/types';
import { InfiniteList, useCursorList } from '../../components/InfiniteList';
import { QrCode } from '../../components/QrCode';
import { DateTime, ErrorNotice, Loading, MoneyText } from '../../components/ui';
import { useRotatingCode } from '../../components/useRotatingCode';
import { useCard } from './cards';

function CardCode({ card }: { card: CampusCard }) {
  const { t } = useTranslation('campus');
  const { code, error, secondsLeft, refresh } = useRotatingCode(async () => {
    const c = await post<RideCode>(`/v1/campus/cards/${card.id}/codes`);
    return { code: c.code, expiresAt: c.expiresAt };
  }, card.status === 'ACTIVE');
  if (card.status !== 'ACTIVE') return <p className="notice error">{t('frozenNoCode')}</p>;
  return (
    <div data-testid="card-code">
      {code ? (
        <>
          <QrCode payload={code.code} label={t('codeLabel')} size={240} caption={false} />
          <p className="center muted">{t('expiresIn', { seconds: secondsLeft })}</p>
          {error ? <ErrorNotice error={error} /> : null}
        </>
      ) : error ? (
        <ErrorNotice error={error} />
      ) : (
        <Loading />
      )}
      <div className="actions">
        <button type="button" className="link" onClick={refresh}>
          {t('refreshCode')}
        </button>
      </div>
    </div>
  );
}

function History({ card }: { card: CampusCard }) {
  const { t } = useTranslation('campus');
  const history = useCursorList<Page<CardMovement>>(['campus', 'history', card.id], `/v1/campus/cards/${card.id}/transactions`);
  return (
    <>
      <h2>{t('history')}</h2>
      <InfiniteList list={history} empty={t('noHistory')}>
        {(items) => (
          <ul className="list" aria-label={t('history')}>
            {items.map((m) => (
              <li key={m.id} className="row" data-testid="card-movement" data-kind={m.kind}>
                <div>
                  <strong>{t(`kinds.${m.kind}`, { defaultValue: m.kind })}</strong>
                  <br />
                  <small className="muted">
                    <DateTime iso={m.createdAt} />
                  </small>
                </div>
                <div className="right">
                  <span className={m.amount < 0 ? 'out' : 'in'}>
                    {m.amount > 0 ? '+' : ''}
                    <MoneyText amount={m.amount} currency={m.currency} />
                  </span>
                  <br />
                  <small className="muted">
                    {t('balanceAfter')} <MoneyText amount={m.balanceAfter} currency={m.currency} />
                  </small>
                </div>
              </li>
            ))}
          </ul>
        )}
      </InfiniteList>
    </>
  );
}

export default function CardPage() {
  const { t } = useTranslation('campus');
  const { cardId } = useParams();
  const queryClient = useQueryClient();
  const { card, isPending, error } = useCard(cardId);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);

  const setFrozen = async (frozen: boolean) => {
    setBusy(true);
    setActionError(null);
    try {
      const updated = await post<CampusCard>(`/v1/campus/cards/${cardId}/${frozen ? 'freeze' : 'unfreeze'}`);
      queryClient.setQueryData<CampusCard[]>(['campus', 'cards'], (old) => old?.map((c) => (c.id === updated.id ? updated : c)));
      setConfirming(false);
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  };

  if (isPending) return <Loading />;
  if (!card) return <ErrorNotice error={error ?? NOT_FOUND} />;
  return (
    <section className="narrow">
      <h1>{t('cardTitle', { memberNo: card.memberNo })}</h1>
      <p>
        <Link to="/campus">{t('backToCards')}</Link>
      </p>
      <div className="card">
        <dl className="facts">
          <dt>{t('balance')}</dt>
          <dd data-testid="card-balance">
            <MoneyText amount={card.balance} currency={card.currency} />
          </dd>
          <dt>{t('subsidyBalance')}</dt>
          <dd data-testid="card-subsidy">
            <MoneyText amount={card.subsidyBalance} currency={card.currency} />
          </dd>
          <dt>{t('status')}</dt>
          <dd data-testid="card-status" className={`status status-${card.status}`}>
            {t(`statuses.${card.status}`)}
          </dd>
          <dt>{t('dailyLimit')}</dt>
          <dd>
            <MoneyText amount={card.dailyLimit} currency={card.currency} />
          </dd>
          <dt>{t('passwordFreeLimit')}</dt>
          <dd>
            <MoneyText amount={card.passwordFreeLimit} currency={card.currency} />
          </dd>
        </dl>
        <div className="actions">
          <Link className="button" to={`/campus/cards/${card.id}/top-up`}>
            {t('topUp')}
          </Link>
          <Link className="button secondary" to={`/campus/cards/${card.id}/pin`}>
            {card.pinSet ? t('pin.change') : t('pin.set')}
          </Link>
        </div>
      </div>
      <div className="card">
        <h2>{t('payCode')}</h2>
        <CardCode card={card} />
      </div>
      <div className="card">
        <h2>{t('lost.title')}</h2>
        <ErrorNotice error={actionError} />
        {card.status === 'ACTIVE' ? (
          confirming ? (
            <>
              <p>{t('lost.confirm')}</p>
              <div className="actions">
                <button type="button" className="danger" onClick={() => void setFrozen(true)} disabled={busy}>
                  {t('lost.freezeNow')}
                </button>
                <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                  {t('lost.cancel')}
                </button>
              </div>
            </>
          ) : (
            <>
              <p className="muted">{t('lost.hint')}</p>
              <button type="button" className="danger" onClick={() => setConfirming(true)}>
                {t('lost.freeze')}
              </button>
            </>
          )
        ) : (
          <>
            <p>{t('lost.frozen')}</p>
            <button type="button" onClick={() => void setFrozen(false)} disabled={busy}>
              {t('lost.unfreeze')}
            </button>
          </>
        )}
      </div>
      <History card={card} />
    </section>
  );
}
