import { defineConfig } from 'vite';

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
