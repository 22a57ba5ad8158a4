/**
 * The console's build and its unit tests. Served by Barge under /console/, so every asset URL is
 * prefixed with it; the output stays inside web/ (web/dist) where src/api/console.ts looks for it.
 */
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Inline assets would need `data:` in the CSP; every asset is a file instead.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npm run dev` style work: proxy the API of a locally running Barge.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
  test: {
    // Pure modules test in node (fast); component tests opt into jsdom with a docblock.
    environment: 'node',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
