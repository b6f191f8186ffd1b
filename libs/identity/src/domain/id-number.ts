/** Identity documents accepted for real-name verification (api.md). */
export const ID_TYPES = ['PRC_ID', 'HK_MO_PERMIT', 'PASSPORT'] as const;
export type IdType = (typeof ID_TYPES)[number];

const PRC_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const PRC_CHECK = '10X98765432';

export type IdCheck = { ok: true; normalized: string } | { ok: false; reason: string };

/**
 * GB 11643-1999 citizen identity number: 6-digit region, 8-digit birth date,
 * 3-digit sequence, check character (0-9 or X) = ISO 7064 MOD 11-2.
 * The birth date must be a real calendar date, not in the future, and not
 * more than 130 years before `today`.
 */
export function checkPrcId(raw: string, today: Date = new Date()): IdCheck {
  const id = raw.trim().toUpperCase();
  if (!/^[1-9]\d{16}[\dX]$/.test(id)) return { ok: false, reason: 'must be 17 digits and a check digit or X' };
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * PRC_WEIGHTS[i];
  if (PRC_CHECK[sum % 11] !== id[17]) return { ok: false, reason: 'check digit does not match' };
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  const birth = new Date(Date.UTC(year, month - 1, day));
  if (birth.getUTCFullYear() !== year || birth.getUTCMonth() !== month - 1 || birth.getUTCDate() !== day) {
    return { ok: false, reason: 'birth date is not a calendar date' };
  }
  const todayUtc = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  if (birth.getTime() > todayUtc) return { ok: false, reason: 'birth date is in the future' };
  const oldest = Date.UTC(today.getUTCFullYear() - 130, today.getUTCMonth(), today.getUTCDate());
  if (birth.getTime() < oldest) return { ok: false, reason: 'birth date is more than 130 years ago' };
  return { ok: true, normalized: id };
}

/** Mainland Travel Permit for Hong Kong and Macao Residents: H or M and 8 or 10 digits. */
/** The shape of a PRC ID: such a number is only ever accepted as a PRC_ID, with its checks. */
const PRC_SHAPE = /^\d{17}[\dX]$/;

export function checkHkMoPermit(raw: string): IdCheck {
  const id = raw.trim().toUpperCase();
  return /^[HM](\d{8}|\d{10})$/.test(id) ? { ok: true, normalized: id } : { ok: false, reason: 'must be H or M followed by 8 or 10 digits' };
}

export function checkPassport(raw: string): IdCheck {
  const id = raw.trim().toUpperCase();
  if (PRC_SHAPE.test(id)) return { ok: false, reason: 'this is a PRC ID number: submit it as PRC_ID' };
  return /^[A-Z0-9]{5,20}$/.test(id) ? { ok: true, normalized: id } : { ok: false, reason: 'must be 5 to 20 letters or digits' };
}

export function checkIdNumber(type: IdType, raw: string, today?: Date): IdCheck {
  switch (type) {
    case 'PRC_ID':
      return checkPrcId(raw, today);
    case 'HK_MO_PERMIT':
      return checkHkMoPermit(raw);
    case 'PASSPORT':
      return checkPassport(raw);
  }
}

/** At most the first and last 2 characters shown (fewer for short numbers). */
export function maskIdNumber(normalized: string): string {
  const keep = normalized.length >= 8 ? 2 : 1;
  return normalized.slice(0, keep) + '*'.repeat(normalized.length - 2 * keep) + normalized.slice(-keep);
}

/** The birth date (YYYY-MM-DD) a checked, normalized PRC ID number carries (digits 7-14). */
export function prcIdBirthDate(normalized: string): string {
  return `${normalized.slice(6, 10)}-${normalized.slice(10, 12)}-${normalized.slice(12, 14)}`;
}
