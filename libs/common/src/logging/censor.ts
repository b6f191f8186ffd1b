/** Lower case, without '_' and '-': refresh_token, refresh-token and refreshToken match alike. */
function normalise(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

/** Keys whose values never reach a log, at any depth. */
export const SECRET_KEYS = new Set(
  [
    'password',
    'newPassword',
    'currentPassword',
    'secret',
    'deviceSecret',
    'idNumber',
    'refreshToken',
    'accessToken',
    'token',
    'apiKey',
    'privateKey',
    'authorization',
    'cookie',
    'set-cookie',
    'x-device-signature',
    'proxy-authorization',
    'clientSecret',
    'apiSecret',
    'appSecret',
    'signature',
    // values carried by database errors: bound parameters (TypeORM's
    // QueryFailedError) and PostgreSQL's detail ("Key (phone)=(...) exists")
    'parameters',
    'detail',
  ].map(normalise),
);

export const CENSORED = '[REDACTED]';
const MAX_DEPTH = 8;
export const TRUNCATED = '[TRUNCATED]';

/** Objects the censor walks: plain ones and class instances such as validated DTOs. */
function isWalkable(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  return !(value instanceof Error || value instanceof Date || value instanceof RegExp || ArrayBuffer.isView(value));
}

/**
 * Returns `value` with every secret-named key censored. Copies only the
 * branches it changes (a log object without secrets is returned as is), walks
 * plain objects, class instances (a censored one becomes a plain copy of its
 * own fields) and arrays; Errors, Dates and binary data are left to pino's
 * serializers (whose output the logger censors in turn). Objects nested
 * deeper than a fixed depth are replaced by '[TRUNCATED]', never passed on.
 */
export function censorSecrets<T>(value: T, depth = 0): T {
  if (depth > MAX_DEPTH) return (value !== null && typeof value === 'object' ? TRUNCATED : value) as T;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = censorSecrets(value[i] as unknown, depth + 1);
      if (next !== value[i]) (copy ??= value.slice())[i] = next;
    }
    return (copy ?? value) as T;
  }
  if (!isWalkable(value)) return value;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const json = (toJSON as () => unknown).call(value);
    const censored = censorSecrets(json, depth + 1);
    return (censored === json ? value : censored) as T;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const current = value[key];
    const next = SECRET_KEYS.has(normalise(key))
      ? current === undefined || current === null
        ? current
        : CENSORED
      : censorSecrets(current, depth + 1);
    if (next !== current) (copy ??= { ...value })[key] = next;
  }
  return (copy ?? value) as T;
}
