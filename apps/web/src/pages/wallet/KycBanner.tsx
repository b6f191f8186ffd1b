import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useAuth } from '../../auth/auth';

/** Money does not move before real-name verification (403 KYC_REQUIRED): say so up front. */
export function KycBanner() {
  const { t } = useTranslation('wallet');
  const { user } = useAuth();
  if (!user || user.kycLevel === 1) return null;
  return (
    <p className="notice">
      {t('kycNeeded')} <Link to="/verify">{t('verifyNow')}</Link>
    </p>
  );
}
