// The field app's service worker (Workbox, built by vite-plugin-pwa's injectManifest): it keeps
// the app shell, and the map's tiles, style and fonts, for use without signal. Plot tiles come
// from the network first, so an edit shows at once (an unchanged tile is a cheap 304 by its
// ETag); without an answer they come from the last copy seen, else from a district pack the
// officer kept (packs.js).
import { clientsClaim } from 'workbox-core';
import { ExpirationPlugin } from 'workbox-expiration';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { NetworkFirst, StaleWhileRevalidate } from 'workbox-strategies';
import { tileFromPacks } from './packs.js';

self.skipWaiting(); // registerType 'autoUpdate': a new app takes over at once
clientsClaim();

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('/app/index.html'), { allowlist: [/^\/app\//] }));

const DAYS_30 = 30 * 24 * 3600;
const PLOT_TILE = /^\/tiles\/plots\/(\d+)\/(\d+)\/(\d+)\.mvt$/;

registerRoute(
  ({ url }) => url.pathname.startsWith('/tiles/plots/'),
  new NetworkFirst({
    cacheName: 'plotmap-plot-tiles',
    networkTimeoutSeconds: 3,
    plugins: [
      new ExpirationPlugin({ maxEntries: 5000, maxAgeSeconds: DAYS_30 }),
      {
        // No answer and no copy: a kept district pack, if one covers the tile.
        handlerDidError: async ({ request }) => {
          const m = PLOT_TILE.exec(new URL(request.url).pathname);
          return m ? tileFromPacks(Number(m[1]), Number(m[2]), Number(m[3])) : null;
        },
      },
    ],
  }),
);

// Admin tiles, TileJSON, the style and its fonts: from the cache at once, refreshed behind.
registerRoute(
  ({ url }) => /^\/(tiles|styles|fonts)\//.test(url.pathname),
  new StaleWhileRevalidate({ cacheName: 'plotmap-map', plugins: [new ExpirationPlugin({ maxEntries: 5000, maxAgeSeconds: DAYS_30 })] }),
);

// Plot lists and records: the network when it answers within 4 s, else the last copy.
registerRoute(
  ({ url, request }) => request.method === 'GET' && /^\/(api\/v1\/plots|collections\/plots\/queryables)/.test(url.pathname),
  new NetworkFirst({ cacheName: 'plotmap-data', networkTimeoutSeconds: 4, plugins: [new ExpirationPlugin({ maxEntries: 500, maxAgeSeconds: DAYS_30 })] }),
);
