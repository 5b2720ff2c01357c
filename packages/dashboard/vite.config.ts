import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type UserConfig } from 'vite';
import { assetBudget } from './build/assets.js';
import { compileHints } from './build/compile-hints.js';
import { worldMap } from './build/world-map.js';

// `pnpm dev:dashboard` proxies the API to a running collector (APILENS_COLLECTOR, default
// http://127.0.0.1:8787). APILENS_FAKE=1 serves contract-shaped made-up figures instead, from
// dev/fake-api.ts, which only the dev server loads: it never reaches dist/ nor any test.
const collector = process.env.APILENS_COLLECTOR ?? 'http://127.0.0.1:8787';

export default defineConfig(
  async ({ command }): Promise<UserConfig> => ({
    plugins: [
      svelte(),
      worldMap(),
      compileHints(/\/src\/pages\/dashboard-page\.svelte$/),
      assetBudget({
        dashboard: /\/src\/pages\/dashboard-page\.svelte$/,
        monitoring: /\/src\/pages\/monitoring-page\.svelte$/,
      }),
      ...(command === 'serve' && process.env.APILENS_FAKE
        ? [(await import('./dev/fake-api.js')).fakeApi()]
        : []),
    ],
    build: {
      target: 'es2022',
      // Assets are hashed and served with a one-year immutable cache; index.html is not cached.
      assetsDir: 'assets',
      modulePreload: { polyfill: false },
      reportCompressedSize: false,
    },
    server: {
      proxy: process.env.APILENS_FAKE ? {} : { '/api': { target: collector, changeOrigin: false } },
    },
  }),
);
