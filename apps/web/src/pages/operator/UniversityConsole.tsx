import { useState, type ChangeEvent, type FormEvent } from 'react';
import { useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ApiError, needsNewKey, newIdempotencyKey, post } from '../../api/client';
import type { SubsidyResult } from '../../api/types';
import { ErrorNotice, Field, FileField, MoneyText } from '../../components/ui';
import { parseAmount } from '../../money';
import { ConsoleHeading, useOrganization } from './ConsoleHeading';
import { parseCsv } from './csv';

const CHUNK = 1000;
const KINDS = ['STUDENT', 'STAFF'];

/** Roster CSV (memberNo, fullName, kind?, active?) to the API's member objects. */
function membersFromCsv(rows: string[][]): { members: Record<string, unknown>[]; missing: string[] } {
  const [header = [], ...data] = rows;
  const names = header.map((h) => h.trim());
  const missing = ['memberNo', 'fullName'].filter((c) => !names.includes(c));
  const members = data.map((r) => {
    const get = (name: string) => (names.includes(name) ? (r[names.indexOf(name)] ?? '').trim() : '');
    const kind = get('kind').toUpperCase();
    const active = get('active').toLowerCase();
    return {
      memberNo: get('memberNo'),
      fullName: get('fullName'),
      kind: KINDS.includes(kind) ? kind : kind || 'STUDENT',
      ...(active === 'false' || active === '0' ? { active: false } : active === 'true' || active === '1' ? { active: true } : {}),
    };
  });
  return { members, missing };
}

function Roster({ universityId }: { universityId: string }) {
  const { t } = useTranslation('operator');
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [result, setResult] = useState<{ created: number; updated: number } | null>(null);
  const [problem, setProblem] = useState<string>();
  const [error, setError] = useState<unknown>(null);
  const upload = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    setResult(null);
    setError(null);
    setProblem(undefined);
    const { members, missing } = membersFromCsv(parseCsv(await file.text()));
    if (missing.length) return setProblem(t('upload.missingColumns', { columns: missing.join(', ') }));
    if (members.length === 0) return setProblem(t('university.emptyRoster'));
    const sum = { created: 0, updated: 0 };
    setProgress({ done: 0, total: members.length });
    try {
      for (let i = 0; i < members.length; i += CHUNK) {
        const r = await post<{ created: number; updated: number }>(`/v1/campus/${universityId}/members`, { members: members.slice(i, i + CHUNK) });
        sum.created += r.created;
        sum.updated += r.updated;
        setProgress({ done: Math.min(members.length, i + CHUNK), total: members.length });
      }
      setResult(sum);
    } catch (err) {
      setError(err);
      if (err instanceof ApiError && err.details?.length) setProblem(err.details.map((d) => `${d.field}: ${d.problems.join(', ')}`).join('; '));
    }
  };
  return (
    <section className="card">
      <h2>{t('university.roster')}</h2>
      <p className="muted">{t('university.rosterFormat')}</p>
      <pre className="sample">memberNo,fullName,kind,active{'\n'}2026001,张三,STUDENT,true</pre>
      <FileField id="roster-csv" label={t('university.chooseRoster')} accept=".csv,text/csv" onFile={(e) => void upload(e)} />
      {progress && (
        <>
          <label htmlFor="roster-progress" className="sr-only">
            {t('upload.progress', progress)}
          </label>
          <progress id="roster-progress" value={progress.done} max={progress.total} />
          <p className="muted">{t('upload.progress', progress)}</p>
        </>
      )}
      {problem && (
        <p className="notice error" role="alert">
          {problem}
        </p>
      )}
      <ErrorNotice error={error} />
      {result && (
        <p className="notice ok" role="status" data-testid="roster-result">
          {t('university.rosterDone', result)}
        </p>
      )}
    </section>
  );
}

function Subsidies({ universityId }: { universityId: string }) {
  const { t } = useTranslation('operator');
  const [memberNos, setMemberNos] = useState('');
  const [amount, setAmount] = useState('');
  const [memo, setMemo] = useState('');
  const [expiresAt, setExpiresAt] = useState('');
  const [errors, setErrors] = useState<{ memberNos?: string; amount?: string; memo?: string }>({});
  const [error, setError] = useState<unknown>(null);
  // with the amount each card got, as it was sent (the field may change after)
  const [result, setResult] = useState<(SubsidyResult & { amount: number }) | null>(null);
  const currency = useOrganization(universityId).data?.currency;
  const [key, setKey] = useState(newIdempotencyKey);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const list = [...new Set(memberNos.split(/[\s,;，；]+/).map((s) => s.trim()).filter(Boolean))];
    const minor = parseAmount(amount);
    const problems = {
      memberNos: list.length ? undefined : t('university.memberNosError'),
      amount: minor === null ? t('university.amountError') : undefined,
      memo: memo.trim() ? undefined : t('university.memoError'),
    };
    setErrors(problems);
    if (problems.memberNos || problems.amount || problems.memo) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const body = { memberNos: list, amount: minor, memo: memo.trim(), ...(expiresAt ? { expiresAt: new Date(`${expiresAt}T23:59:59+08:00`).toISOString() } : {}) };
      setResult({ ...(await post<SubsidyResult>(`/v1/campus/${universityId}/subsidies`, body, { idempotencyKey: key })), amount: minor! });
      setKey(newIdempotencyKey());
    } catch (err) {
      setError(err);
      if (needsNewKey(err)) setKey(newIdempotencyKey());
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card">
      <h2>{t('university.subsidies')}</h2>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="field">
          <label htmlFor="subsidy-members">{t('university.memberNos')}</label>
          <textarea
            id="subsidy-members"
            rows={4}
            value={memberNos}
            onChange={(e) => setMemberNos(e.target.value)}
            aria-invalid={errors.memberNos ? true : undefined}
            aria-describedby={errors.memberNos ? 'subsidy-members-error' : 'subsidy-members-hint'}
          />
          <small id="subsidy-members-hint" className="hint">
            {t('university.memberNosHint')}
          </small>
          {errors.memberNos && (
            <small id="subsidy-members-error" className="field-error" role="alert">
              {errors.memberNos}
            </small>
          )}
        </div>
        <Field label={t('university.amount')} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} error={errors.amount} />
        <Field label={t('university.memo')} value={memo} onChange={(e) => setMemo(e.target.value)} error={errors.memo} />
        <Field label={t('university.expiresAt')} type="date" value={expiresAt} onChange={(e) => setExpiresAt(e.target.value)} />
        <ErrorNotice error={error} />
        <button type="submit" disabled={busy}>
          {t('university.paySubsidy')}
        </button>
      </form>
      {result && (
        <div className="notice ok" role="status" data-testid="subsidy-result">
          <p>
            {t('university.credited', { count: result.credited })} {currency && <MoneyText amount={result.amount} currency={currency} />}
          </p>
          {result.skipped.length > 0 && (
            <ul aria-label={t('university.skipped')}>
              {result.skipped.map((s) => (
                <li key={s.memberNo}>
                  {s.memberNo}: {t(`university.skipReasons.${s.reason}`, { defaultValue: s.reason })}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}


export default function UniversityConsole() {
  const { t } = useTranslation('operator');
  const { universityId = '' } = useParams();
  return (
    <section>
      <ConsoleHeading kind="UNIVERSITY" orgId={universityId} />
      <p className="muted">
        {t('university.idForStudents')} <code>{universityId}</code>
      </p>
      <div className="console-grid">
        <Roster universityId={universityId} />
        <Subsidies universityId={universityId} />
      </div>
    </section>
  );
}
