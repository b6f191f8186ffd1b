import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ApiError, post } from '../../api/client';
import type { RideCode } from '../../api/types';
import { QrCode } from '../../components/QrCode';
import { ErrorNotice, Loading } from '../../components/ui';
import { isRefusal, useRotatingCode, type ShownCode } from '../../components/useRotatingCode';
import { ensureCredential, mintOfflineCode } from './offline';

class NoOfflineCredential extends Error {}

/**
 * Online: a server-issued code (POST /v1/transit/ride-codes), and a ride
 * credential kept ready. With no network (or the server unreachable): a code
 * minted on the phone from that credential; also when the server answers
 * for now only (5xx, 429, 408). A refusal (in arrears, no real name) is
 * shown as such: no offline code stands in for it.
 */
async function nextRideCode(): Promise<ShownCode> {
  if (navigator.onLine !== false) {
    try {
      // an answer that does not come in time gives way to the phone-minted code
      const c = await post<RideCode>('/v1/transit/ride-codes', undefined, { timeoutMs: 8_000 });
      void ensureCredential().catch(() => undefined);
      return { code: c.code, expiresAt: c.expiresAt, kind: 'online' };
    } catch (err) {
      if (isRefusal(err)) throw err;
    }
  }
  const offline = await mintOfflineCode();
  if (!offline) throw new NoOfflineCredential();
  return { code: offline.code, expiresAt: offline.expiresAt, kind: 'offline', remaining: offline.remaining };
}

export default function RidePage() {
  const { t } = useTranslation('transit');
  const { code, error, secondsLeft, refresh } = useRotatingCode(nextRideCode);
  const code403 = error instanceof ApiError ? error.code : null;
  return (
    <section className="narrow">
      <h1>{t('title')}</h1>
      <div className="card ride-code" data-testid="ride-code" data-code-kind={code?.kind ?? ''}>
        {code ? (
          <>
            <QrCode payload={code.code} label={t('qrLabel')} size={260} caption={false} />
            <p className="center">
              {code.kind === 'offline' ? <span className="pill offline">{t('offlineCode')}</span> : <span className="pill">{t('onlineCode')}</span>}{' '}
              <span data-testid="code-countdown">{t('expiresIn', { seconds: secondsLeft })}</span>
            </p>
            {code.kind === 'offline' && <p className="muted center">{t('offlineHint', { remaining: code.remaining ?? 0 })}</p>}
            <p className="muted center">{t('showToReader')}</p>
            {error ? <ErrorNotice error={error} /> : null}
          </>
        ) : error ? (
          code403 === 'IN_ARREARS' ? (
            <p className="notice error" role="alert">
              {t('inArrears')} <Link to="/transit/trips">{t('payArrears')}</Link>
            </p>
          ) : code403 === 'KYC_REQUIRED' ? (
            <p className="notice error" role="alert">
              {t('kycRequired')} <Link to="/verify">{t('verifyNow')}</Link>
            </p>
          ) : error instanceof NoOfflineCredential ? (
            <p className="notice error" role="alert">
              {t('offlineUnavailable')}
            </p>
          ) : (
            <ErrorNotice error={error} />
          )
        ) : (
          <Loading />
        )}
        <div className="actions">
          <button type="button" className="link" onClick={refresh}>
            {t('refresh')}
          </button>
        </div>
      </div>
      <p>
        <Link to="/transit/trips">{t('tripsLink')}</Link>
      </p>
    </section>
  );
}
