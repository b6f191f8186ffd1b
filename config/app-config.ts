import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
  ValidationError,
} from 'class-validator';

const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};

const toInt = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  return /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
};

const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/**
 * Every setting the platform reads, validated at start. `process.env` is read
 * only by `loadConfigFromEnvironment()`; everything else receives this object.
 * Defaults here are the ones listed in `.env.example` and the README.
 */
export class AppConfig {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  /** Use this PostgreSQL server. Unset: start an embedded PostgreSQL 15 under DATA_DIR. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  /** Where the embedded PostgreSQL keeps its data (only without DATABASE_URL). */
  @IsString()
  @MinLength(1)
  DATA_DIR = './.data';

  /** Port of the embedded PostgreSQL (only without DATABASE_URL); bound to 127.0.0.1. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  /** Database the platform uses on the embedded server (created on first start). */
  @IsString()
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'EMBEDDED_PG_DATABASE must be a lower-case SQL identifier' })
  EMBEDDED_PG_DATABASE = 'citypay';

  /** Run pending migrations at start. Turn off when `npm run db:migrate` is a separate deploy step. */
  @Transform(toBool)
  @IsBoolean()
  MIGRATIONS_RUN = true;

  /** At least 2: migrations hold one connection for their lock and run on another. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(500)
  DB_POOL_SIZE = 20;

  /** Statement timeout for application queries, in milliseconds (0 = none). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  DB_STATEMENT_TIMEOUT_MS = 30000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  /** Pretty, human-readable logs instead of JSON lines (development only). */
  @Transform(toBool)
  @IsBoolean()
  LOG_PRETTY = false;

  /** Default request body limit in bytes; a route may raise it with @BodyLimit(). */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  /** Run background jobs (pg-boss workers) inside the API process. Off when apps/worker runs them. */
  @Transform(toBool)
  @IsBoolean()
  JOBS_IN_API = true;

  /** Trust X-Forwarded-* headers (behind a load balancer). */
  @Transform(toBool)
  @IsBoolean()
  TRUST_PROXY = false;

  /** Milliseconds the server waits for in-flight requests at shutdown. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(120000)
  SHUTDOWN_GRACE_MS = 10000;

  @IsString()
  @MaxLength(200)
  SERVICE_NAME = 'city-pay';

  // ---- identity ----

  /** Phone (E.164) and password of the platform administrator created at start if absent. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^\+[1-9]\d{6,14}$/, { message: 'ADMIN_PHONE must be an E.164 phone number such as +8613800000000' })
  ADMIN_PHONE?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(12, { message: 'ADMIN_PASSWORD must be at least 12 characters' })
  ADMIN_PASSWORD?: string;

  /** HMAC key of access tokens (HS256), at least 32 characters. Generated and kept in DATA_DIR outside production. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsString()
  @MinLength(1)
  JWT_ISSUER = 'city-pay';

  @IsString()
  @MinLength(1)
  JWT_AUDIENCE = 'city-pay-api';

  @Transform(toInt)
  @IsInt()
  @Min(30)
  @Max(86400)
  ACCESS_TOKEN_TTL_SECONDS = 900;

  @Transform(toInt)
  @IsInt()
  @Min(300)
  @Max(365 * 86400)
  REFRESH_TOKEN_TTL_SECONDS = 30 * 86400;

  /** AES-256-GCM key for device secrets at rest: 32 bytes, base64. Generated and kept in DATA_DIR outside production. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'DEVICE_SECRET_KEY must be 32 bytes in base64 (44 characters)' })
  DEVICE_SECRET_KEY?: string;

  /** HMAC key for the uniqueness hash of ID numbers: 32 bytes, base64. Generated and kept in DATA_DIR outside production. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'ID_NUMBER_HASH_KEY must be 32 bytes in base64 (44 characters)' })
  ID_NUMBER_HASH_KEY?: string;

  /** AES-256-GCM key for the pay-code signing keys at rest: 32 bytes, base64. Generated and kept in DATA_DIR outside production. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'PAYCODE_KEY_ENCRYPTION_KEY must be 32 bytes in base64 (44 characters)' })
  PAYCODE_KEY_ENCRYPTION_KEY?: string;

  /** Allowed clock skew of signed device requests, ms (api.md: 5 minutes). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3600000)
  DEVICE_CLOCK_SKEW_MS = 300000;

  /** Failed logins allowed per phone per minute; the next is answered 429. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  LOGIN_FAILURES_PER_MINUTE = 5;

  /** How long a request with a busy Idempotency-Key waits for the first one before 409, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60000)
  IDEMPOTENCY_WAIT_MS = 10000;

  /** Requests per client IP per minute, per API replica (a generous abuse limit). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_IP_PER_MINUTE = 6000;

  /**
   * `sandbox`: the provider gateways of libs/provider-sandbox are served under
   * /sandbox with keys generated on first start; `live`: the real gateways,
   * with the credentials of PAYMENT_CREDENTIALS_FILE.
   */
  @IsIn(['sandbox', 'live'])
  PAYMENT_PROVIDERS: 'sandbox' | 'live' = 'sandbox';

  /** JSON file of each provider's merchant credentials (required when PAYMENT_PROVIDERS=live). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PAYMENT_CREDENTIALS_FILE?: string;

  /** Base URL the providers reach the platform at (notify URLs). Unset: this server's own address. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^/\s]+$/, { message: 'PUBLIC_BASE_URL must be an http(s) origin without a path, e.g. https://pay.example.cn' })
  PUBLIC_BASE_URL?: string;

  /** A pending payment order without a notification is queried this often, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(200)
  @Max(3600000)
  PAYMENT_QUERY_INTERVAL_MS = 5000;

  /** An unpaid payment order expires (and is closed at the provider) after this long, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(86400000)
  PAYMENT_ORDER_TTL_MS = 900000;

  /** Exchange rates, `FROM/TO=rate` pairs separated by commas (the shopper pays TO for one FROM). */
  @Matches(/^([A-Z]{3}\/[A-Z]{3}=\d{1,6}(\.\d{1,8})?)(,[A-Z]{3}\/[A-Z]{3}=\d{1,6}(\.\d{1,8})?)*$/, {
    message: 'FX_RATES must look like CNY/HKD=1.0870,MOP/HKD=0.9709',
  })
  FX_RATES = 'CNY/HKD=1.0870,MOP/HKD=0.9709';

  /** Where FX_RATES come from, recorded on every converted order. */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  FX_RATES_SOURCE = 'config: indicative rates, not a market feed';

  /** When FX_RATES were taken (ISO 8601), recorded on every converted order. */
  @Matches(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/, { message: 'FX_RATES_AS_OF must be an ISO 8601 time' })
  FX_RATES_AS_OF = '2026-11-20T08:00:00Z';

  /** Let biller webhooks reach private, loopback and link-local addresses (a local receiver in development). */
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_NETWORKS = false;

  /** Daily reconciliation with the providers' settlement files (UTC cron; 18:30 UTC is 02:30 in Shanghai). */
  @IsString()
  @Matches(/^\S+( \S+){4}$/, { message: 'RECONCILIATION_CRON must be a five-field cron expression' })
  RECONCILIATION_CRON = '30 18 * * *';
}

/** Keys a production deployment must set; elsewhere they are generated once and kept in DATA_DIR. */
export const GENERATED_SECRETS = ['JWT_SECRET', 'DEVICE_SECRET_KEY', 'ID_NUMBER_HASH_KEY', 'PAYCODE_KEY_ENCRYPTION_KEY'] as const;
export type GeneratedSecret = (typeof GENERATED_SECRETS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; problems: string[] }[]) {
    super(
      'Invalid configuration: ' +
        problems.map((p) => `${p.variable}: ${p.problems.join('; ')}`).join(' | '),
    );
    this.name = 'ConfigError';
  }
}

const KNOWN = new Set(
  Object.keys(new AppConfig()).concat(['DATABASE_URL', 'ADMIN_PHONE', 'ADMIN_PASSWORD', 'PAYMENT_CREDENTIALS_FILE', 'PUBLIC_BASE_URL', ...GENERATED_SECRETS]),
);

/**
 * Validates raw variables (strings) into an AppConfig. Unknown variables are
 * ignored (the environment holds many); a bad value throws a ConfigError that
 * names the variable.
 */
export function validateConfig(raw: Record<string, string | undefined>): AppConfig {
  const picked: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (KNOWN.has(k) && v !== undefined) picked[k] = v;
  }
  const config = plainToInstance(AppConfig, picked, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false, skipMissingProperties: false });
  if (config.NODE_ENV === 'production') {
    for (const name of GENERATED_SECRETS) {
      if (!config[name]) {
        errors.push(Object.assign(new ValidationError(), { property: name, constraints: { required: `${name} must be set in production` } }));
      }
    }
  }
  if ((config.ADMIN_PHONE === undefined) !== (config.ADMIN_PASSWORD === undefined)) {
    const missing = config.ADMIN_PHONE === undefined ? 'ADMIN_PHONE' : 'ADMIN_PASSWORD';
    errors.push(Object.assign(new ValidationError(), { property: missing, constraints: { required: 'ADMIN_PHONE and ADMIN_PASSWORD go together' } }));
  }
  if (config.PAYMENT_PROVIDERS === 'live' && !config.PAYMENT_CREDENTIALS_FILE) {
    errors.push(Object.assign(new ValidationError(), { property: 'PAYMENT_CREDENTIALS_FILE', constraints: { required: 'PAYMENT_CREDENTIALS_FILE is required when PAYMENT_PROVIDERS=live' } }));
  }
  if (config.NODE_ENV === 'production' && config.PAYMENT_PROVIDERS === 'sandbox') {
    // the sandbox lets anyone "pay": never in production
    errors.push(Object.assign(new ValidationError(), { property: 'PAYMENT_PROVIDERS', constraints: { live: 'PAYMENT_PROVIDERS must be live in production (the sandbox lets anyone pay)' } }));
  }
  if (config.NODE_ENV === 'production' && !config.PUBLIC_BASE_URL) {
    errors.push(Object.assign(new ValidationError(), { property: 'PUBLIC_BASE_URL', constraints: { required: 'PUBLIC_BASE_URL must be set in production (the providers post notifications there)' } }));
  }
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map((e) => ({
        variable: e.property,
        problems: Object.values(e.constraints ?? {}),
      })),
    );
  }
  return config;
}

/** Names and defaults of every setting, for `.env.example` and the docs test. */
export function configDefaults(): Record<string, unknown> {
  return { ...new AppConfig() };
}
