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
  getMetadataStorage,
  validateSync,
  ValidationError,
} from 'class-validator';

export const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};

export const toInt = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  return /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
};

export const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/**
 * The settings of the process itself (server, database, logging, jobs),
 * validated at start. Each context's own settings are a section class in
 * that context (IdentityConfig, PaymentsConfig, BillingConfig, ...), declared
 * by its module (`static readonly config`), validated with this one and
 * injectable by its class. `process.env` is read only by
 * `loadConfigFromEnvironment()`. Defaults here are the ones listed in
 * `.env.example` and the README.
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

  /**
   * A streaming replica of DATABASE_URL for reads that tolerate its lag
   * (histories, past days' settlements, reconciliation views). Unset: those
   * reads go to DATABASE_URL. Read-your-writes routes never use it.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_READ_URL must be a postgres:// URL' })
  DATABASE_READ_URL?: string;

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

  /**
   * API processes sharing PORT (node:cluster): the primary starts the embedded
   * database and runs migrations once, then forks and supervises this many.
   * 1: a single process, no primary.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  WEB_CONCURRENCY = 1;

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

  /** The built web app (npm run build:web) served at `/`; absent: the API runs without it (a warning at start). */
  @IsString()
  @MinLength(1)
  WEB_DIR = './dist/web';

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

}

/**
 * A context's settings: a class whose fields carry class-validator (and
 * class-transformer) decorators and their defaults. Every field needs at
 * least one validation decorator (that is how it is found: `@IsOptional()`
 * for one without rules). Optional static members: `check` for rules across
 * fields (answered as problems of the variable named), `generatedSecrets`
 * for keys generated outside production and kept in DATA_DIR.
 */
export interface ConfigSection<T extends object = object> {
  new (): T;
  check?(section: T, core: AppConfig): { variable: string; problem: string }[];
  readonly generatedSecrets?: Readonly<Record<string, () => string>>;
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

/**
 * The variables a settings class reads: its decorated fields, from
 * class-validator's metadata. (Not `Object.keys(new C())`: a field without a
 * default is an own property in one compilation and absent in another.)
 */
export function configFieldNames(section: new () => object): string[] {
  return [...new Set(getMetadataStorage().getTargetValidationMetadatas(section, '', true, false).map((m) => m.propertyName))];
}

const sectionsOf = new WeakMap<AppConfig, Map<ConfigSection, object>>();

/** The validated instance of one section (what the section's class is injected as). */
export function configSection<T extends object>(config: AppConfig, section: ConfigSection<T>): T {
  const found = sectionsOf.get(config)?.get(section as unknown as ConfigSection);
  if (!found) throw new Error(`Configuration section ${section.name} was not validated with this configuration`);
  return found as T;
}

/** Every section validated with this configuration (AppConfigModule provides each). */
export function configSections(config: AppConfig): Map<ConfigSection, object> {
  return sectionsOf.get(config) ?? new Map();
}

function readSection<T extends object>(cls: new () => T, raw: Record<string, string | undefined>): { value: T; errors: ValidationError[] } {
  const picked: Record<string, string> = {};
  for (const name of configFieldNames(cls)) {
    if (raw[name] !== undefined) picked[name] = raw[name]!;
  }
  const value = plainToInstance(cls, picked, { exposeDefaultValues: true });
  return { value, errors: validateSync(value, { whitelist: false, skipMissingProperties: false, forbidUnknownValues: false }) };
}

/**
 * Validates raw variables (strings): the process settings and the given
 * sections. Unknown variables are ignored (the environment holds many); bad
 * values throw one ConfigError naming every variable at fault. The result is
 * the AppConfig with every section's fields on it too (for the composition
 * root and the commands); contexts inject their own section.
 */
export function validateConfig<S extends object = object>(raw: Record<string, string | undefined>, sections: readonly ConfigSection[] = []): AppConfig & S {
  const core = readSection(AppConfig, raw);
  const problems: { variable: string; problems: string[] }[] = [];
  const add = (errors: ValidationError[]) => {
    for (const e of errors) problems.push({ variable: e.property, problems: Object.values(e.constraints ?? {}) });
  };
  add(core.errors);
  const instances = new Map<ConfigSection, object>();
  for (const section of sections) {
    const { value, errors } = readSection(section, raw);
    add(errors);
    instances.set(section, value);
  }
  if (problems.length === 0) {
    for (const [section, value] of instances) {
      for (const p of section.check?.(value, core.value) ?? []) problems.push({ variable: p.variable, problems: [p.problem] });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = core.value;
  for (const value of instances.values()) Object.assign(config, value);
  sectionsOf.set(config, instances);
  return config as AppConfig & S;
}

/** Names and defaults of every setting, for `.env.example` and the docs test. */
export function configDefaults(sections: readonly ConfigSection[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const cls of [AppConfig as ConfigSection, ...sections]) {
    const instance = new cls() as Record<string, unknown>;
    for (const name of configFieldNames(cls)) out[name] = instance[name];
  }
  return out;
}
