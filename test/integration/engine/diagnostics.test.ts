import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../../src/local/types';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { engineFor, freshOrg, startServer } from './harness';

describe('dead letters, diagnostics and the debug log', () => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startServer(null, { limits: { maxRowBytes: 2048 } });
  });
  afterAll(() => server?.close());

  it('moves a row the server refuses aside, syncs the rest, and can retry or discard it', async () => {
    const engine = await engineFor(server, freshOrg());
    await engine.start();
    const letters: DeadLetter[] = [];
    engine.on('deadletter', (letter) => letters.push(letter));
    await engine.table('tasks').bulkPut([
      { id: 'fine-1', title: 'ok' },
      { id: 'huge', title: 'x'.repeat(5000) },
      { id: 'fine-2', title: 'ok' },
    ]);
    await engine.sync();
    expect(letters.map((l) => [l.op.rowId, l.code])).toEqual([['huge', 'ROW_TOO_LARGE']]);
    expect(letters[0]!.reason).toMatch(/limited to 2048 bytes/);
    expect(await engine.outbox.count()).toBe(0);
    const [letter] = await engine.deadLetters.list();
    await engine.deadLetters.retry(letter!.id!);
    await engine.sync();
    expect((await engine.deadLetters.list()).map((l) => l.op.rowId)).toEqual(['huge']);
    await engine.deadLetters.discard((await engine.deadLetters.list())[0]!.id!);
    expect(await engine.deadLetters.list()).toEqual([]);

    const diagnostics = await engine.diagnostics();
    expect(diagnostics).toMatchObject({ status: 'idle', online: true, isLeader: true, queue: { pending: 0, inflight: 0, deadLetters: 0, conflicts: 0 } });
    expect(diagnostics.metrics.opsPushed).toBe(2);
    expect(diagnostics.tables.tasks).toMatchObject({ needsInitial: false, cursor: expect.stringMatching(/^c2\./) });
    expect(diagnostics.recentTransitions.some((t) => t.state.includes('"idle"'))).toBe(true);
    const log = JSON.parse(await engine.exportDebugLog());
    expect(Object.keys(log).sort()).toEqual(['conflicts', 'deadLetters', 'deviceId', 'diagnostics', 'exportedAt', 'pendingOps', 'tabId']);
    await engine.stop();
  });

  it('reports a listener that threw to its logger, and the other listeners still run', async () => {
    const logged: Array<[string, unknown]> = [];
    const engine = await engineFor(server, freshOrg(), { logger: { error: (message, error) => logged.push([message, error]) } });
    await engine.start();
    try {
      let heard = 0;
      engine.on('synced', () => {
        throw new Error('app bug');
      });
      engine.on('synced', () => void (heard += 1));
      await engine.sync();
      expect(heard).toBeGreaterThanOrEqual(1);
      expect(logged[0]).toEqual(['chartsync: a "synced" listener threw', expect.objectContaining({ message: 'app bug' })]);
    } finally {
      await engine.stop();
    }
  });

  it('refuses to work before start and names unknown tables', async () => {
    const engine = await engineFor(server, freshOrg());
    expect(() => engine.actor).toThrow(/await engine.start\(\) first/);
    await expect(engine.table('tasks').put({ id: 'a' })).rejects.toThrow(/not started/);
    expect(() => engine.table('projects')).toThrow(/Unknown table "projects": declare it in tables \(known: tasks, notes\)/);
  });
});
