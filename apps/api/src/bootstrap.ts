import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger, PinoLogger } from 'nestjs-pino';
import type { Logger as PinoInstance } from 'pino';
import { withGeneratedSecrets } from '@app/config';
import type { PlatformConfig } from '@app/platform';
import {
  AllExceptionsFilter,
  createRootLogger,
  createValidationPipe,
  installBodyLimits,
  installLifecycleResponses,
  frameworkErrorHandler,
  clientErrorHandler,
  installIpRateLimit,
  installRequestLogging,
  parseJsonBody,
  MetricsService,
  requestIdFor,
} from '@app/common';
import { type DatabaseRuntime, resolveDatabase } from '@app/database';
import { AppModule, type ModuleImport } from './app.module.js';
import { installWebApp } from './web-app.js';
import { createOpenApiDocument } from './openapi/openapi.js';

export interface RunningApi {
  app: NestFastifyApplication;
  database: DatabaseRuntime;
  logger: PinoInstance;
  /** Every route Fastify serves (for the route-guard audit and the docs). */
  routes: { method: string; url: string }[];
  /** Graceful stop: HTTP drained, jobs and pool closed, then the embedded database stopped. */
  close(): Promise<void>;
}

export interface CreateApiOptions {
  logger?: PinoInstance;
  /** Extra modules composed into the app (tests mount probe routes this way). */
  imports?: ModuleImport[];
}

/**
 * Builds the API: database (embedded or DATABASE_URL), Nest on Fastify, the
 * request pipeline of api.md, OpenAPI, metrics. Does not listen.
 */
export async function createApi(appConfig: PlatformConfig, options: CreateApiOptions = {}): Promise<RunningApi> {
  const config = withGeneratedSecrets(appConfig);
  const root =
    options.logger ?? createRootLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, service: config.SERVICE_NAME });
  const dbLog = root.child({ context: 'Database' });
  const database = await resolveDatabase(config, {
    info: (m) => dbLog.info(m),
    warn: (m) => dbLog.warn(m),
    debug: (m) => dbLog.debug(m),
  });

  let app: NestFastifyApplication;
  try {
    const adapter = new FastifyAdapter({
      // routes with a limit of their own (@BodyLimit) raise it: installBodyLimits
      bodyLimit: config.BODY_LIMIT_BYTES,
      trustProxy: config.TRUST_PROXY,
      genReqId: (req: IncomingMessage) => requestIdFor(req),
      // we answer requests arriving during shutdown ourselves, with the api.md body
      return503OnClosing: false,
      forceCloseConnections: 'idle',
      frameworkErrors: frameworkErrorHandler,
      clientErrorHandler,
    });
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({ config, databaseUrl: database.url, logger: root, imports: options.imports }),
      adapter,
      // rawBody: device signatures cover the exact bytes received
      { bufferLogs: true, abortOnError: false, rawBody: true },
    );
  } catch (err) {
    await database.stop();
    throw err;
  }

  let shuttingDown = false;
  const routes: { method: string; url: string }[] = [];
  try {
    app.useLogger(app.get(Logger));
    app.useGlobalPipes(createValidationPipe());
    app.useGlobalFilters(new AllExceptionsFilter());

    const fastify = app.getHttpAdapter().getInstance();
    fastify.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push({ method: String(method), url: route.url ?? route.path });
    });
    // JSON (and form posts, for provider notifications) only: anything else is 415.
    // Our JSON parser keeps the raw bytes (device signatures cover them).
    fastify.removeContentTypeParser('text/plain');
    app.useBodyParser('application/json', { bodyLimit: config.BODY_LIMIT_BYTES }, async (req: FastifyRequest, body: Buffer) =>
      parseJsonBody(req, body),
    );
    installLifecycleResponses(fastify, () => shuttingDown);
    installRequestLogging(fastify, root, await app.resolve(PinoLogger));
    await installIpRateLimit(app, config.RATE_LIMIT_PER_IP_PER_MINUTE);
    installBodyLimits(fastify, config.BODY_LIMIT_BYTES);
    app.get(MetricsService).instrument(fastify);

    // built on the first request for it, not on the start path
    SwaggerModule.setup('docs', app, () => createOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
    // the web app at / (never under the API's prefixes)
    await installWebApp(fastify, config.WEB_DIR, root.child({ context: 'WebApp' }));

    await app.init();
  } catch (err) {
    // a failed start must not leave the pool, pg-boss or the embedded server behind
    await app.close().catch(() => undefined);
    await database.stop();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const fastifyServer = app.getHttpAdapter().getInstance().server;
  return {
    app,
    database,
    logger: root,
    routes,
    close: () =>
      (closing ??= (async () => {
        shuttingDown = true;
        // after the grace period, cut connections still open (slow or half-sent requests)
        const cut = setTimeout(() => fastifyServer.closeAllConnections(), config.SHUTDOWN_GRACE_MS);
        cut.unref();
        try {
          await app.close();
        } finally {
          clearTimeout(cut);
          await database.stop();
        }
      })()),
  };
}
