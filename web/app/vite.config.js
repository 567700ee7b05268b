// The field app's build: hashed bundles in web/dist/app/assets (served with a year's cache),
// the page, the web app manifest and the Workbox service worker (src/sw.js) that keeps the app
// shell, the map's tiles, style and fonts, and district packs for use without signal.
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
      // Our own service worker (src/sw.js, Workbox): it reads district packs for tiles offline.
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.js',
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
        rollupFormat: 'iife', // a classic worker, as registerSW registers it
      },
    }),
  ],
});
