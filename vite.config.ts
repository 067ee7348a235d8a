import { defineConfig } from 'vitest/config';

const shared = {
  setupFiles: ['test/setup/fakeIndexedDb.ts'],
  testTimeout: 20_000,
  hookTimeout: 60_000,
};

/** Vite (demo build) and Vitest (test runner) configuration, in one file as the design card asks. */
export default defineConfig({
  test: {
    projects: [
      {
        test: { ...shared, name: 'node', environment: 'node', include: ['test/**/*.test.ts'], exclude: ['test/react/**', 'test/e2e/**', 'test/bench/**'] },
      },
      {
        test: { ...shared, name: 'react', environment: 'jsdom', include: ['test/react/**/*.test.{ts,tsx}'], setupFiles: [...shared.setupFiles, 'test/setup/jsdomRealm.ts'] },
      },
    ],
  },
});
