import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { useAuth } from '../auth/auth';
import { ErrorNotice, Field } from '../components/ui';

const E164 = /^\+[1-9]\d{6,14}$/;

/** "13800000000" -> "+8613800000000"; an E.164 number stays as typed. */
function normalizePhone(input: string): string {
  const s = input.replace(/[\s-]/g, '');
  return /^1\d{10}$/.test(s) ? `+86${s}` : s;
}

function useNext(): string {
  const [params] = useSearchParams();
  const next = params.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/wallet';
}

export function LoginPage() {
  const { t } = useTranslation('auth');
  const { login, signedIn } = useAuth();
  const navigate = useNavigate();
  const next = useNext();
  const [phone, setPhone] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (signedIn && !busy) return <Navigate to={next} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(normalizePhone(phone), password);
      void navigate(next, { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="narrow">
      <h1>{t('loginTitle')}</h1>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Field label={t('phone')} type="tel" autoComplete="tel" value={phone} onChange={(e) => setPhone(e.target.value)} required hint={t('phoneHint')} />
        <Field label={t('password')} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        <ErrorNotice error={error} />
        <button type="submit" disabled={busy}>
          {t('login')}
        </button>
      </form>
      <p>
        {t('noAccount')} <Link to="/register">{t('register')}</Link>
      </p>
    </section>
  );
}

export function RegisterPage() {
  const { t } = useTranslation('auth');
  const { register } = useAuth();
  const navigate = useNavigate();
  const [phone, setPhone] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!E164.test(normalizePhone(phone))) found.phone = t('errors.phone');
    if (password.length < 8) found.password = t('errors.password');
    setErrors(found);
    setError(null);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      await register(normalizePhone(phone), password, displayName.trim() || undefined);
      void navigate('/verify', { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'PHONE_TAKEN') setErrors({ phone: t('errors.phoneTaken') });
      else setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="narrow">
      <h1>{t('registerTitle')}</h1>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Field label={t('phone')} type="tel" autoComplete="tel" value={phone} onChange={(e) => setPhone(e.target.value)} error={errors.phone} hint={t('phoneHint')} />
        <Field label={t('password')} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} error={errors.password} hint={t('passwordHint')} />
        <Field label={t('displayName')} autoComplete="nickname" value={displayName} onChange={(e) => setDisplayName(e.target.value)} maxLength={60} />
        <ErrorNotice error={error} />
        <button type="submit" disabled={busy}>
          {t('register')}
        </button>
      </form>
      <p>
        {t('haveAccount')} <Link to="/login">{t('login')}</Link>
      </p>
    </section>
  );
}
