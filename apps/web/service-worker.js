/* global self, caches */
/**
 * The web app's service worker (built into /sw.js by apps/web/vite.config.ts,
 * which fills in PRECACHE with every file of the build): the app shell
 * (index.html, every script and style, icons, manifest) is cached at install,
 * so the app (the ride code above all) opens with no network. Navigations try
 * the network first and fall back to the cached index.html; hashed assets are
 * served from the cache; the API (/v1 ...) is never touched.
 */
const PRECACHE = self.__PRECACHE__;
const VERSION = self.__VERSION__;
const CACHE = `citypay-shell-${VERSION}`;
const NETWORK_ONLY = ['/v1', '/sandbox', '/docs', '/health', '/metrics'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('citypay-shell-') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (NETWORK_ONLY.some((p) => url.pathname === p || url.pathname.startsWith(`${p}/`))) return;

  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request).catch(() => caches.open(CACHE).then((cache) => cache.match('/index.html')).then((r) => r || Response.error())),
    );
    return;
  }
  event.respondWith(
    caches.open(CACHE).then((cache) =>
      cache.match(request).then(
        (cached) =>
          cached ||
          fetch(request).then((response) => {
            if (response.ok && url.pathname.startsWith('/assets/')) void cache.put(request, response.clone());
            return response;
          }),
      ),
    ),
  );
});
