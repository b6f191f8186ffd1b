import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/**
 * Writes .br and .gz beside every built asset worth compressing, so the API
 * (@fastify/static with preCompressed) sends phones the small files without
 * compressing on each request.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'citypay-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const file of walk(join(outDir, 'assets'))) {
        if (!/\.(js|css|svg|json)$/.test(file) || statSync(file).size < 1024) continue;
        const data = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
        writeFileSync(`${file}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      }
    },
  };
}

/**
 * Writes /sw.js from apps/web/service-worker.js with the list of every file
 * of this build (scripts, styles, index.html and the public files), so the
 * app shell works with no network, and a version that changes with them.
 */
function serviceWorker(): Plugin {
  let publicDir = '';
  return {
    name: 'citypay-service-worker',
    apply: 'build',
    enforce: 'post',
    configResolved(config) {
      publicDir = config.publicDir;
    },
    generateBundle(_options, bundle) {
      const built = Object.keys(bundle).filter((f) => !f.endsWith('.map') && f !== 'index.html');
      const extra = readdirSync(publicDir).filter((f) => f !== 'sw.js');
      const files = ['/index.html', ...[...built, ...extra].map((f) => `/${f}`)].sort();
      const version = createHash('sha256').update(files.join('\n')).update(readFileSync(resolve(publicDir, '..', 'index.html'))).digest('hex').slice(0, 16);
      const source = readFileSync(resolve(publicDir, '..', 'service-worker.js'), 'utf8')
        .replace('self.__PRECACHE__', JSON.stringify(files))
        .replace('self.__VERSION__', JSON.stringify(version));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

/**
 * The web app (citizen wallet and operator console). No React plugin: Vite 8
 * compiles TSX with its built-in Oxc transform, configured for React's
 * automatic JSX runtime. Built into dist/web, which the API serves at `/`
 * (apps/api/src/web-app.ts); dev server proxies the API.
 */
export default defineConfig({
  root: 'apps/web',
  base: '/',
  publicDir: 'public',
  plugins: [precompress(), serviceWorker()],
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'react' },
  },
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            // what every screen needs (React, the router, the query cache, i18n, the API client,
            // the layout and live notifications): one file, so a first load is not a chain of small ones
            {
              name: 'app',
              test: /node_modules[\\/](react|react-dom|scheduler|react-router|@tanstack|i18next|react-i18next)[\\/]|apps[\\/]web[\\/]src[\\/](api|auth|i18n|locales[\\/]zh-CN|notifications|components[\\/](Layout|ui|InfiniteList)|pages[\\/]transit[\\/]offline)/,
            },
          ],
        },
      },
      onwarn(warning, warn) {
        // "use client" markers of React libraries mean nothing in a client-only bundle
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: {
      '/v1': 'http://127.0.0.1:3000',
      '/sandbox': 'http://127.0.0.1:3000',
    },
  },
});
