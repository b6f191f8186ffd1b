import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger as PinoInstance } from 'pino';

/**
 * Paths the web app never answers: the API, its docs, probes, metrics and the
 * provider sandbox keep their own routes and their JSON 404s.
 */
export const RESERVED_PREFIXES = ['/v1', '/docs', '/health', '/metrics', '/sandbox'] as const;

const YEAR_SECONDS = 365 * 24 * 3600;

/** Routes of the API beside those prefixes (the OpenAPI document, as JSON and YAML). */
const RESERVED_PATHS = new Set(['/docs-json', '/docs-yaml']);

function reserved(path: string): boolean {
  // a prefix reserves its own path segment only: the web app's /sandbox-checkout/... is the app's
  return RESERVED_PATHS.has(path) || RESERVED_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}?`));
}

function wantsHtml(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html');
}

/**
 * Serves the built web app (Vite output) from the API process:
 * - `/assets/*` (content-hashed names): cached a year, immutable, sent
 *   brotli- or gzip-compressed when the build wrote those files;
 * - every other file (index.html, icons, manifest): `no-cache` (revalidated each time);
 * - SPA fallback: a GET/HEAD that accepts HTML, outside the reserved prefixes,
 *   for a path with no file extension, gets index.html (the client router
 *   takes it from there). Anything else that matches nothing keeps the API's
 *   JSON 404.
 * Without a built app (no index.html in `dir`) nothing is installed.
 */
export async function installWebApp(fastify: FastifyInstance, dir: string, logger: PinoInstance): Promise<boolean> {
  const root = resolve(dir);
  const indexFile = join(root, 'index.html');
  if (!existsSync(indexFile)) {
    logger.warn({ webDir: root }, 'Web app not built (npm run build:web): GET / is a 404');
    return false;
  }

  const sendIndex = async (reply: FastifyReply): Promise<void> => {
    // read per request: a rebuild (new hashed asset names) is served at once
    const html = await readFile(indexFile);
    await reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .send(html);
  };

  // Runs for every request of the API too: a callback hook that returns at
  // once for anything not asking for HTML (an async hook costs each request a
  // promise and a microtask turn).
  fastify.addHook('onRequest', (req, reply, done) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !wantsHtml(req)) {
      done();
      return;
    }
    const path = req.url.split('?')[0];
    if (reserved(path) || (path !== '/' && path !== '/index.html' && extname(path) !== '')) {
      done();
      return;
    }
    sendIndex(reply).catch((err: unknown) => done(err as Error));
  });

  await fastify.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: true,
    index: false,
    decorateReply: false,
    // the build writes .br and .gz beside each asset (apps/web/vite.config.ts)
    preCompressed: true,
    // hashed names never change content; anything else is revalidated
    cacheControl: false,
    setHeaders: (reply, filePath) => {
      const hashed = filePath.startsWith(join(root, 'assets') + '/');
      reply.header('cache-control', hashed ? `public, max-age=${YEAR_SECONDS}, immutable` : 'no-cache');
      reply.header('x-content-type-options', 'nosniff');
    },
    // the reserved prefixes never reach a file lookup
    allowedPath: (pathName) => !reserved(pathName),
  });
  logger.info({ webDir: root }, 'Serving the web app at /');
  return true;
}
