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

  @Transform(toInt)
  @IsInt()
  @Min(1)
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
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; problems: string[] }[]) {
    super(
      'Invalid configuration: ' +
        problems.map((p) => `${p.variable}: ${p.problems.join('; ')}`).join(' | '),
    );
    this.name = 'ConfigError';
  }
}

const KNOWN = new Set(Object.keys(new AppConfig()).concat(['DATABASE_URL']));

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
