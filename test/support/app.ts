import { validatePlatformConfig } from '@app/platform';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loggingFormatters, loggingSerializers, MetricsService } from '@app/common';
import { createApi, type CreateApiOptions, type RunningApi } from '../../apps/api/src/bootstrap.js';
import { freshDatabase } from './database.js';

/** Fixed per test process; production refuses to start without its own. */
export const TEST_SECRETS = {
  JWT_SECRET: randomBytes(48).toString('base64url'),
  DEVICE_SECRET_KEY: randomBytes(32).toString('base64'),
  ID_NUMBER_HASH_KEY: randomBytes(32).toString('base64'),
  PAYCODE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
};

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (not JSON-encoded). */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  token?: string;
}

export interface TestApp {
  baseUrl: string;
  api: RunningApi;
  databaseUrl: string;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<HttpResult<T>>;
  close(): Promise<void>;
}

/**
 * Boots the real app (Nest + Fastify + pg-boss) on a fresh database cloned
 * from the migrated template, listening on a random local port.
 */
export async function startApp(
  env: Record<string, string> = {},
  options: Omit<CreateApiOptions, 'logger'> & { databaseUrl?: string } = {},
): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? (await freshDatabase()).url;
  const config = validatePlatformConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    DB_POOL_SIZE: '10',
    ...TEST_SECRETS,
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          logs.push({ msg: line });
        }
        if (process.env.TEST_LOG_LEVEL) process.stdout.write(line + '\n');
      }
      done();
    },
  });
  const logger = pino({ level: config.LOG_LEVEL, formatters: loggingFormatters(), serializers: loggingSerializers() }, sink);
  const api = await createApi(config, { logger, imports: options.imports });
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const address = api.app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const baseUrl = `http://127.0.0.1:${address.port}`;

  return {
    baseUrl,
    api,
    databaseUrl,
    logs,
    request: (method, path, opts = {}) => request(baseUrl, method, path, opts),
    close: () => api.close(),
  };
}

export async function request<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | Buffer | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(baseUrl + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) {
    parsed = JSON.parse(text);
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

/** Asserts the api.md error body and returns it. */
export function expectError(res: HttpResult, status: number, code: string): void {
  if (res.status !== status || res.body?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${res.text.slice(0, 500)}`);
  }
  const keys = Object.keys(res.body).sort();
  const allowed = ['code', 'details', 'message', 'statusCode'];
  for (const k of keys) {
    if (!allowed.includes(k)) throw new Error(`unexpected key ${k} in error body ${res.text}`);
  }
  if (res.body.statusCode !== status || typeof res.body.message !== 'string') {
    throw new Error(`malformed error body ${res.text}`);
  }
}

/**
 * What the group commit of `statement` has sent so far in this app (db_group_commit_batch_size):
 * statements, and the requests they carried; and of the statements, those whose items ran as
 * one set, and those of several items that ran one by one (db_group_commit_path_total{path="set"|"each"},
 * where the statement has such paths).
 */
export async function groupCommitted(app: TestApp, statement: string): Promise<{ statements: number; requests: number; setWise: number; oneByOne: number }> {
  const metrics = app.api.app.get(MetricsService);
  const values = (await metrics.groupCommitBatch.get()).values.filter((v) => v.labels.statement === statement);
  const total = (suffix: string) => values.find((v) => v.metricName?.endsWith(suffix))?.value ?? 0;
  const paths = (await metrics.groupCommitPath.get()).values.filter((v) => v.labels.statement === statement);
  const path = (name: string) => paths.find((v) => v.labels.path === name)?.value ?? 0;
  return { statements: total('_count'), requests: total('_sum'), setWise: path('set'), oneByOne: path('each') };
}
