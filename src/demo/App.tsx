import { useState } from 'react';
import { newId } from '../core/ids/newId';
import { useLiveQuery, useSyncEngine } from '../react';
import { ConflictsPanel } from './ConflictsPanel';
import { DeadLetterPanel } from './DeadLetterPanel';
import { DiagnosticsDrawer } from './DiagnosticsDrawer';
import { SyncBadge } from './SyncBadge';
import { TaskCard, type Task } from './TaskCard';

const STATUSES = ['todo', 'doing', 'done'] as const;

/** The offline-first task board. */
export function App({ user }: { user: string }) {
  const engine = useSyncEngine();
  const tasks = useLiveQuery(() => engine.db.table('tasks').orderBy('id').toArray() as Promise<Task[]>, [engine], []);
  const [title, setTitle] = useState('');
  const [offline, setOffline] = useState(false);

  const add = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return;
    await engine.table('tasks').put({ id: newId(), title: title.trim(), description: '', status: 'todo', assignee: user, tags: [] });
    setTitle('');
  };

  return (
    <>
      <header>
        <h1>Task board</h1>
        <span>signed in as {user}</span>
        <SyncBadge />
        <button className="secondary" onClick={() => void engine.sync().catch(() => undefined)}>
          Sync now
        </button>
        <label>
          <input
            type="checkbox"
            checked={offline}
            onChange={(e) => {
              setOffline(e.target.checked);
              engine.setOnline(!e.target.checked);
            }}
          />{' '}
          Offline
        </label>
      </header>
      <main>
        <section aria-label="Board">
          <form className="new" onSubmit={(e) => void add(e)}>
            <input type="text" aria-label="New task" placeholder="What needs doing?" value={title} onChange={(e) => setTitle(e.target.value)} />
            <button type="submit">Add task</button>
          </form>
          <div className="columns">
            {STATUSES.map((status) => (
              <div className="column" key={status} role="list" aria-label={`${status} tasks`}>
                <h3>{status}</h3>
                {tasks
                  .filter((t) => t.status === status)
                  .map((t) => (
                    <TaskCard key={t.id} task={t} />
                  ))}
              </div>
            ))}
          </div>
        </section>
        <div style={{ display: 'grid', gap: '1rem', alignContent: 'start' }}>
          <ConflictsPanel />
          <DeadLetterPanel />
          <DiagnosticsDrawer />
        </div>
      </main>
    </>
  );
}
