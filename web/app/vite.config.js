// The field app's build: hashed bundles in web/dist/app/assets (served with a year's cache),
// the page, the web app manifest and a Workbox service worker that keeps the app shell and
// the map's tiles, style and fonts for use without signal.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/app/',
  build: {
    outDir: fileURLToPath(new URL('../dist/app', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1600, // MapLibre GL JS alone is about 1 MB
  },
  plugins: [
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: null, // src/main.js registers it
      includeAssets: ['icon.svg'],
      manifest: {
        name: 'plotmap · แปลงโคก หนอง นา',
        short_name: 'plotmap',
        description: 'ปักหมุด วาดขอบเขต และบันทึกความก้าวหน้าของแปลง แม้ไม่มีสัญญาณ',
        lang: 'th',
        start_url: '/app/',
        scope: '/app/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#ffffff',
        theme_color: '#1b5e20',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
        navigateFallback: '/app/index.html',
        navigateFallbackAllowlist: [/^\/app\//],
        runtimeCaching: [
          {
            // Plot tiles: the network first, so an edit shows at once (an unchanged tile is a
            // cheap 304 by its ETag); the cached copy when there is no answer within 3 s.
            urlPattern: ({ url }) => url.pathname.startsWith('/tiles/plots/'),
            handler: 'NetworkFirst',
            options: { cacheName: 'plotmap-plot-tiles', networkTimeoutSeconds: 3, expiration: { maxEntries: 5000, maxAgeSeconds: 30 * 24 * 3600 } },
          },
          {
            // Admin tiles, TileJSON, the style and its fonts: from the cache at once, refreshed behind.
            urlPattern: ({ url }) => /^\/(tiles|styles|fonts)\//.test(url.pathname),
            handler: 'StaleWhileRevalidate',
            options: { cacheName: 'plotmap-map', expiration: { maxEntries: 5000, maxAgeSeconds: 30 * 24 * 3600 } },
          },
          {
            // Plot lists and records: the network when it answers within 4 s, else the last copy.
            urlPattern: ({ url, request }) => request.method === 'GET' && /^\/(api\/v1\/plots|collections\/plots\/queryables)/.test(url.pathname),
            handler: 'NetworkFirst',
            options: { cacheName: 'plotmap-data', networkTimeoutSeconds: 4, expiration: { maxEntries: 500, maxAgeSeconds: 30 * 24 * 3600 } },
          },
        ],
      },
    }),
  ],
});
