import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startE2E, type E2E } from './browser';

let e2e: E2E;
const shots = new URL('../../test-results/', import.meta.url).pathname;

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  e2e = await startE2E();
}, 120_000);
afterAll(() => e2e?.close());

let orgCounter = 0;
const freshOrg = () => `e2e-${Date.now().toString(36)}-${++orgCounter}`;

async function open(page: Page, user: string, org: string) {
  await page.goto(e2e.url(user, org));
  await page.getByRole('textbox', { name: 'New task' }).waitFor();
  await expectStatus(page, /idle/);
}

async function expectStatus(page: Page, text: RegExp, timeout = 10_000) {
  await page.getByRole('status', { name: 'Sync status' }).filter({ hasText: text }).waitFor({ timeout });
}

async function addTask(page: Page, title: string) {
  await page.getByRole('textbox', { name: 'New task' }).fill(title);
  await page.getByRole('button', { name: 'Add task' }).click();
  await page.getByRole('listitem', { name: title }).waitFor();
}

const titles = (page: Page) => page.getByRole('listitem').evaluateAll((items) => items.map((i) => i.getAttribute('aria-label')));

describe('the demo in Chromium', () => {
  it('shows a task created by one user to another within a second', async () => {
    const org = freshOrg();
    const [ana, ben] = [await (await e2e.browser.newContext()).newPage(), await (await e2e.browser.newContext()).newPage()];
    await open(ana, 'ana', org);
    await open(ben, 'ben', org);
    const started = Date.now();
    await addTask(ana, 'Inspect pump 7');
    await ben.getByRole('listitem', { name: 'Inspect pump 7' }).waitFor({ timeout: 1000 });
    console.log(`[e2e] task visible to the other user after ${Date.now() - started} ms`);
    await ana.screenshot({ path: `${shots}board.png`, fullPage: true });
    await ana.getByRole('button', { name: 'Diagnostics' }).click();
    await ana
      .getByRole('region', { name: 'Diagnostics details' })
      .getByText(/"status": "idle"/)
      .waitFor();
    await ana.screenshot({ path: `${shots}diagnostics.png`, fullPage: true });
    await ana.context().close();
    await ben.context().close();
  });

  it('keeps edits made offline — across a reload — and sends each exactly once when back online', async () => {
    const org = freshOrg();
    const anaContext = await e2e.browser.newContext();
    const [ana, ben] = [await anaContext.newPage(), await (await e2e.browser.newContext()).newPage()];
    await open(ana, 'ana', org);
    await open(ben, 'ben', org);
    await anaContext.setOffline(true);
    await expectStatus(ana, /offline/);
    for (const title of ['Offline one', 'Offline two', 'Offline three']) await addTask(ana, title);
    await expectStatus(ana, /3 pending/);
    await anaContext.setOffline(false);
    await ben.getByRole('listitem', { name: 'Offline three' }).waitFor({ timeout: 10_000 });
    expect((await titles(ben)).sort()).toEqual(['Offline one', 'Offline three', 'Offline two']);

    // The sync server unreachable, then a reload: the unsent edit is still there, queued.
    await ana.route(`${e2e.sync.url}/**`, (route) => route.abort());
    await addTask(ana, 'Survives a reload');
    await ana.reload();
    await ana.getByRole('listitem', { name: 'Survives a reload' }).waitFor();
    await expectStatus(ana, /1 pending/);
    await ana.unroute(`${e2e.sync.url}/**`);
    // The chart is backing off between probes; a person would press "Sync now" rather than wait it out.
    await ana.getByRole('button', { name: 'Sync now' }).click();
    await ana
      .getByRole('status', { name: 'Sync status' })
      .filter({ hasText: /0 pending/ })
      .waitFor({ timeout: 15_000 });
    await ben.getByRole('listitem', { name: 'Survives a reload' }).waitFor({ timeout: 10_000 });
    expect((await titles(ben)).sort()).toEqual(['Offline one', 'Offline three', 'Offline two', 'Survives a reload']);
    await anaContext.close();
    await ben.context().close();
  }, 60_000);

  it('lets only the leader tab of a user sync, and hands over when it closes', async () => {
    const org = freshOrg();
    const context = await e2e.browser.newContext();
    const pushes = new Map<Page, number>();
    const tab = async () => {
      const page = await context.newPage();
      pushes.set(page, 0);
      page.on('request', (request) => request.url().includes('/sync/push') && pushes.set(page, pushes.get(page)! + 1));
      await open(page, 'ana', org);
      return page;
    };
    const first = await tab();
    const second = await tab();
    const isLeader = (page: Page) => page.evaluate(() => (window as unknown as { chartsync: { isLeader: boolean } }).chartsync.isLeader);
    expect([await isLeader(first), await isLeader(second)]).toEqual([true, false]);
    await addTask(second, 'Written in the follower');
    await addTask(first, 'Written in the leader');
    await first
      .getByRole('status', { name: 'Sync status' })
      .filter({ hasText: /0 pending/ })
      .waitFor({ timeout: 10_000 });
    expect(pushes.get(second)).toBe(0);
    expect(pushes.get(first)).toBeGreaterThan(0);
    await first.close();
    await second.waitForFunction(() => (window as unknown as { chartsync: { isLeader: boolean } }).chartsync.isLeader, undefined, { timeout: 10_000 });
    await addTask(second, 'After the handover');
    await second
      .getByRole('status', { name: 'Sync status' })
      .filter({ hasText: /0 pending/ })
      .waitFor({ timeout: 10_000 });
    expect(pushes.get(second)).toBeGreaterThan(0);
    await context.close();
  }, 60_000);

  it('shows a conflict made offline on two pages and resolves it on both', async () => {
    const org = freshOrg();
    const [anaContext, benContext] = [await e2e.browser.newContext(), await e2e.browser.newContext()];
    const [ana, ben] = [await anaContext.newPage(), await benContext.newPage()];
    await open(ana, 'ana', org);
    await open(ben, 'ben', org);
    await addTask(ana, 'Shared task');
    await ben.getByRole('listitem', { name: 'Shared task' }).waitFor({ timeout: 5000 });
    await anaContext.setOffline(true);
    await benContext.setOffline(true);
    for (const [page, title] of [
      [ana, 'Ana’s title'],
      [ben, 'Ben’s title'],
    ] as const) {
      const input = page.getByRole('textbox', { name: 'Title of Shared task' });
      await input.fill(title);
      await input.blur();
      await page.getByRole('listitem', { name: title }).waitFor();
    }
    await anaContext.setOffline(false);
    await expectStatus(ana, /0 pending/);
    await benContext.setOffline(false);
    const conflict = ben.getByRole('group', { name: /Conflict on/ });
    await conflict.waitFor({ timeout: 10_000 });
    await ben.screenshot({ path: `${shots}conflict.png`, fullPage: true });
    await conflict.getByRole('button', { name: 'Keep mine' }).click();
    await conflict.waitFor({ state: 'detached' });
    await ana.getByRole('listitem', { name: 'Ben’s title' }).waitFor({ timeout: 10_000 });
    await ben.getByRole('listitem', { name: 'Ben’s title' }).waitFor();
    expect(await ana.getByRole('group', { name: /Conflict on/ }).count()).toBe(0);
    await anaContext.close();
    await benContext.close();
  }, 60_000);
});
