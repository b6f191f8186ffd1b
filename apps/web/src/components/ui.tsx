import { useId, useState, type ChangeEvent, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { formatMoney } from '../money';

/** A labelled input whose error is announced and tied to it (aria-describedby). */
export function Field({ label, error, hint, ...input }: { label: string; error?: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const described = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={described} {...input} />
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

export function SelectField({ label, error, children, ...select }: { label: string; error?: string; children: ReactNode } & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} {...select}>
        {children}
      </select>
      {error && (
        <small id={`${id}-error`} className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

/**
 * A file chooser in the page's language: the browser's own button speaks the
 * browser's language ("Choose File", "No file chosen"), so the input is
 * visually hidden (still focusable, announced with its label) and a styled
 * label opens it, with the chosen file's name beside it.
 */
export function FileField({ id, label, accept, onFile }: { id: string; label: string; accept: string; onFile: (e: ChangeEvent<HTMLInputElement>) => void }) {
  const { t } = useTranslation('common');
  const [name, setName] = useState('');
  return (
    <div className="field file-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="file"
        className="sr-only"
        accept={accept}
        onChange={(e) => {
          setName(e.target.files?.[0]?.name ?? '');
          onFile(e);
        }}
      />
      <div className="file-choice">
        <label htmlFor={id} className="button secondary" aria-hidden="true">
          {t('chooseFile')}
        </label>
        <span className="muted">{name || t('noFileChosen')}</span>
      </div>
    </div>
  );
}

/** The API's error code, in the user's language (the server's text only as a last resort). */
export function useErrorText(): (error: unknown) => string {
  const { t } = useTranslation('common');
  return (error) => {
    if (error instanceof ApiError) return t(`errors.${error.code}`, { defaultValue: t('errors.generic', { code: error.code }) });
    return t('errors.network');
  };
}

export function ErrorNotice({ error }: { error: unknown }) {
  const text = useErrorText();
  if (!error) return null;
  return (
    <p className="notice error" role="alert">
      {text(error)}
    </p>
  );
}

export function MoneyText({ amount, currency }: { amount: number; currency: string }) {
  const { i18n } = useTranslation();
  return <span className="money">{formatMoney(amount, currency, i18n.language)}</span>;
}

export function Loading() {
  const { t } = useTranslation('common');
  return (
    <p className="muted" role="status">
      {t('loading')}
    </p>
  );
}

export function DateTime({ iso }: { iso: string }) {
  const { i18n } = useTranslation();
  return <time dateTime={iso}>{new Date(iso).toLocaleString(i18n.language, { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'short' })}</time>;
}
