// Runs one benchmark workload in headless Chromium (Debian's, through playwright-core): the page of
// browser/ bundled by Vite, served from loopback, real IndexedDB; the server in its own process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { launchChromium } from '../e2e/chromium';
import { serveFolder } from '../e2e/serveFolder';
import { startBenchServer } from './serverProcess';
import type { WorkloadResult } from './workloads';

/** A workload's result in the browser, with the page's peak JS heap and the server's memory. */
export interface BrowserResult extends WorkloadResult {
  clientPeakHeapMb: number;
  server: { idleRssMb: number; peakRssMb: number };
}

/** The bundled benchmark page, built once per `npm run bench -- --browser`. */
export async function buildPage(): Promise<{ dir: string; dispose(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'chartsync-bench-'));
  await build({
    configFile: false,
    logLevel: 'warn',
    root: new URL('./browser', import.meta.url).pathname,
    build: { outDir: dir, emptyOutDir: true, target: 'es2022', minify: true },
  });
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One run of `workload` in a new Chromium process against a new server process. */
export async function runInBrowser(pageDir: string, workload: string): Promise<BrowserResult> {
  const server = await startBenchServer();
  const pages = await serveFolder(pageDir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    let peakHeap = 0;
    const sample = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      peakHeap = Math.max(peakHeap, metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0);
    };
    const sampler = setInterval(() => void sample().catch(() => {}), 100);
    await page.goto(`http://127.0.0.1:${(pages.address() as { port: number }).port}/`);
    await page.waitForFunction(() => typeof window.runWorkload === 'function');
    const result = await page.evaluate(([name, url, control]) => window.runWorkload!(name, { url, control }), [workload, server.url, server.control] as const);
    clearInterval(sampler);
    await sample();
    const memory = (await (await fetch(`${server.control}/memory`)).json()) as { idleRssMb: number; peakRssMb: number };
    return { ...result, clientPeakHeapMb: Math.round(peakHeap / 2 ** 20), server: { idleRssMb: memory.idleRssMb, peakRssMb: memory.peakRssMb } };
  } finally {
    await browser.close();
    pages.close();
    await server.close();
  }
}
