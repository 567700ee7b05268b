// The dashboard's build: hashed bundles in web/dist/dashboard/assets (served with a year's
// cache) and the page (revalidated on every load). No service worker: the dashboard is for
// offices with a connection, and its numbers must never come from a stale copy.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1600, // MapLibre GL JS alone is about 1 MB
  },
});
