// The smallest chartsync app: one table, one hook. Run it from the repository root with
// `npm run server -- --dev` in one terminal and `npm run example` in another; in your own project it is the
// same file, with chartsync installed (`npm install chartsync dexie xstate react react-dom`).
import { createSyncEngine, newId } from 'chartsync';
import { SyncProvider, useLiveQuery, useSyncEngine, useSyncStatus } from 'chartsync/react';
import { createRoot } from 'react-dom/client';

interface Todo {
  id: string;
  text: string;
}
type Tables = { todos: Todo };

const server = 'http://127.0.0.1:8787';
// Dev tokens come from a server started with --dev; a real app passes its own (a string or a function).
const { token } = (await (
  await fetch(`${server}/auth/dev-token`, { method: 'POST', body: JSON.stringify({ org: 'example', user: 'me', role: 'worker' }) })
).json()) as { token: string };
const engine = createSyncEngine<Tables>({ name: 'minimal-example', url: server, token, tables: { todos: 'id' } });

function Todos() {
  const todos = useSyncEngine<Tables>().table('todos');
  const { status, pending } = useSyncStatus();
  const rows = useLiveQuery(() => todos.toArray(), [todos], []);
  return (
    <main>
      <p role="status">
        {status}, {pending} to send
      </p>
      <button type="button" onClick={() => void todos.put({ id: newId(), text: `todo ${rows.length + 1}` })}>
        Add
      </button>
      <ul>
        {rows.map((todo) => (
          <li key={todo.id}>{todo.text}</li>
        ))}
      </ul>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <SyncProvider engine={engine} fallback={<p>Starting…</p>}>
    <Todos />
  </SyncProvider>,
);
