import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const src = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

/** In this repository the example imports chartsync from the sources; installed, it needs no config. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: [{ find: /^chartsync\/react$/, replacement: src('react/index.ts') }, { find: /^chartsync$/, replacement: src('index.ts') }] },
  server: { host: '127.0.0.1', port: 5174, strictPort: true },
  build: { target: 'es2022' },
});
