import { StrictMode, Suspense, useEffect } from 'react';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SyncEngine } from '../../src/engine';
import { SyncProvider, useConflicts, useLiveQuery, useSuspenseSync, useSyncEngine, useSyncSelector, useSyncStatus, useTableSync } from '../../src/react';
import type { SyncServer } from '../../src/server/createSyncServer';
import { engineFor, freshOrg, startServer } from '../integration/engine/harness';

let server: SyncServer;
beforeAll(async () => {
  server = await startServer(null, { policies: { tasks: { strategy: 'manual' } } });
});
afterAll(() => server?.close());
afterEach(cleanup);

function Status() {
  const { status, online, pending } = useSyncStatus();
  return (
    <p role="status">
      {status} {online ? 'online' : 'offline'} pending:{pending}
    </p>
  );
}

function Tasks() {
  const engine = useSyncEngine();
  const tasks = useLiveQuery(() => engine.db.table('tasks').toArray(), [engine], []);
  return (
    <ul>
      {tasks.map((t) => (
        <li key={t.id as string}>{t.title as string}</li>
      ))}
    </ul>
  );
}

describe('React bindings on a real engine and server', () => {
  let engines: SyncEngine[] = [];
  afterEach(async () => {
    await Promise.all(engines.map((e) => e.stop()));
    engines = [];
  });
  async function engine(org: string) {
    const e = await engineFor(server, org);
    engines.push(e);
    return e;
  }

  // Under StrictMode effects run twice: two root actors used to start, and one kept emitting after stop().
  it('starts one root actor under StrictMode, and nothing emits after stop()', async () => {
    const org = freshOrg();
    const roots = new Set<string>();
    let afterStop = 0;
    let stopped = false;
    const e = await engineFor(server, org, {
      inspect: (event) => {
        if (event.type === '@xstate.actor' && event.actorRef.sessionId === event.rootId) roots.add(event.rootId);
        if (stopped && event.type === '@xstate.snapshot') afterStop += 1;
      },
    });
    engines.push(e);
    render(
      <StrictMode>
        <SyncProvider engine={e} fallback={<p>starting</p>}>
          <Status />
        </SyncProvider>
      </StrictMode>,
    );
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('idle online pending:0'));
    expect(roots.size).toBe(1);
    cleanup();
    await e.stop();
    stopped = true;
    await e
      .table('tasks')
      .put({ id: 'late', title: 'after stop' })
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    expect(afterStop).toBe(0);
    expect(e.status).toBe('rehydrating');
  });

  it('renders status changes, and the pending count goes up offline and down after a sync', async () => {
    const e = await engine(freshOrg());
    render(
      <SyncProvider engine={e} fallback={<p>starting</p>}>
        <Status />
        <Tasks />
      </SyncProvider>,
    );
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('idle online pending:0'));
    act(() => e.setOnline(false));
    await waitFor(() => expect(screen.getByRole('status').textContent).toMatch(/^offline offline/));
    await act(() => e.table('tasks').put({ id: 't1', title: 'Fix pump' }));
    await act(() => e.table('tasks').put({ id: 't2', title: 'Check valve' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('offline offline pending:2'));
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['Fix pump', 'Check valve']);
    act(() => e.setOnline(true));
    await act(() => e.sync());
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('idle online pending:0'));
  });

  it('does not re-render a component whose slice did not change during sync cycles', async () => {
    const e = await engine(freshOrg());
    const renders = { online: 0, failures: 0, status: 0 };
    function OnlineOnly() {
      const online = useSyncSelector((s) => s.context.online);
      renders.online += 1;
      return <span>{String(online)}</span>;
    }
    function FailureCount() {
      const failures = useSyncSelector((s) => s.context.metrics.failures);
      renders.failures += 1;
      return <span>{failures}</span>;
    }
    function StatusBadge() {
      const { status } = useSyncStatus();
      const { lastSyncedAt } = useTableSync('tasks');
      renders.status += 1;
      return (
        <span>
          {status} {lastSyncedAt}
        </span>
      );
    }
    render(
      <SyncProvider engine={e}>
        <OnlineOnly />
        <FailureCount />
        <StatusBadge />
      </SyncProvider>,
    );
    await waitFor(() => expect(e.status).toBe('idle'));
    await act(() => e.sync());
    const before = { ...renders };
    for (let i = 0; i < 3; i++) {
      await act(() => e.table('tasks').put({ id: `r${i}`, title: 'x' }));
      await act(() => e.sync());
    }
    expect(e.actor.getSnapshot().context.metrics.cycles).toBeGreaterThanOrEqual(4);
    expect(renders.online).toBe(before.online);
    expect(renders.failures).toBe(before.failures);
    // The control: a component that does select what a cycle changes re-renders.
    expect(renders.status).toBeGreaterThan(before.status);
  });

  it('renders a conflict and resolves it', async () => {
    const org = freshOrg();
    const [a, b] = [await engine(org), await engine(org)];
    await a.start();
    await b.start();
    await a.table('tasks').put({ id: 'r', title: 'base' });
    await a.sync();
    await b.sync();
    a.setOnline(false);
    b.setOnline(false);
    await a.table('tasks').update('r', { title: 'alice' });
    await b.table('tasks').update('r', { title: 'bob' });
    a.setOnline(true);
    await a.sync();
    function Conflicts() {
      const { conflicts, resolve } = useConflicts();
      return (
        <ul aria-label="Conflicts">
          {conflicts.map((c) => (
            <li key={c.id}>
              {c.rowId}: mine {String(c.local?.title)} / theirs {String(c.remote?.title)}
              <button onClick={() => void resolve(c.id!, 'local')}>Keep mine</button>
            </li>
          ))}
        </ul>
      );
    }
    render(
      <SyncProvider engine={b}>
        <Conflicts />
      </SyncProvider>,
    );
    act(() => b.setOnline(true));
    await act(() => b.sync());
    await waitFor(() => expect(screen.getByRole('listitem').textContent).toContain('r: mine bob / theirs alice'));
    await act(async () => screen.getByRole('button', { name: 'Keep mine' }).click());
    await waitFor(() => expect(screen.queryAllByRole('listitem')).toHaveLength(0));
    await act(() => b.sync());
    await a.sync();
    expect(await a.table('tasks').get('r')).toMatchObject({ title: 'bob' });
  });

  it('useSuspenseSync suspends until the first download is done: the first render below it has every row', async () => {
    const org = freshOrg();
    const writer = await engine(org);
    await writer.start();
    await writer.table('tasks').bulkPut(Array.from({ length: 30 }, (_, i) => ({ id: `t${i}`, title: `task ${i}` })));
    await writer.sync();
    const reader = await engine(org);
    const seenAtMount: number[] = [];
    function Downloaded() {
      const e = useSuspenseSync<{ tasks: { id: string; title: string } }>();
      useEffect(() => {
        void e
          .table('tasks')
          .toArray()
          .then((rows) => seenAtMount.push(rows.length));
      }, [e]);
      return <p role="note">downloaded</p>;
    }
    render(
      <StrictMode>
        <SyncProvider engine={reader}>
          <Suspense fallback={<p role="note">downloading</p>}>
            <Downloaded />
          </Suspense>
        </SyncProvider>
      </StrictMode>,
    );
    await waitFor(() => expect(screen.getByRole('note').textContent).toBe('downloaded'));
    await waitFor(() => expect(seenAtMount.length).toBeGreaterThan(0));
    expect(seenAtMount.every((n) => n === 30)).toBe(true);
  });

  it('says clearly when a hook is used outside the provider', () => {
    function Lost() {
      useSyncEngine();
      return null;
    }
    expect(() => render(<Lost />)).toThrow(/needs a <SyncProvider engine=\{engine\}> above this component/);
  });
});
