import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = fileURLToPath(new URL('.', import.meta.url));

const shared = {
  setupFiles: [`${here}test/setup/fakeIndexedDb.ts`],
  testTimeout: 20_000,
  hookTimeout: 60_000,
};

/**
 * One file for Vite and Vitest, as the design card asks. Vite builds and serves the demo (`src/demo`,
 * built into `dist/demo`); Vitest runs `test/` in two projects: node by default, jsdom for React.
 */
export default defineConfig({
  root: `${here}src/demo`,
  build: { outDir: `${here}dist/demo`, emptyOutDir: true, target: 'es2022' },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 5173, strictPort: true },
  test: {
    projects: [
      {
        root: here,
        test: { ...shared, name: 'node', environment: 'node', include: ['test/**/*.test.ts'], exclude: ['test/react/**', 'test/e2e/**', 'test/bench/**'] },
      },
      {
        // Browser tests: only with `npm run test:e2e` (needs Debian's Chromium and a built demo).
        root: here,
        test: { name: 'e2e', environment: 'node', include: ['test/e2e/**/*.e2e.test.ts'], testTimeout: 60_000, hookTimeout: 120_000, fileParallelism: false },
      },
      {
        root: here,
        test: {
          ...shared,
          name: 'react',
          environment: 'jsdom',
          include: ['test/react/**/*.test.{ts,tsx}'],
          setupFiles: [...shared.setupFiles, `${here}test/setup/jsdomRealm.ts`],
        },
      },
    ],
  },
});
