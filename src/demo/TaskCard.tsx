import { useEffect, useState } from 'react';
import { useSyncEngine } from '../react';

/** A task row of the demo. */
export interface Task {
  id: string;
  title: string;
  description: string;
  status: string;
  assignee: string;
  tags: string[];
}

/** One editable task: title, description, status, assignee, tags, delete. */
export function TaskCard({ task }: { task: Task }) {
  const engine = useSyncEngine();
  const table = engine.table('tasks');
  const [title, setTitle] = useState(task.title);
  const [description, setDescription] = useState(task.description);
  const [tags, setTags] = useState(task.tags.join(', '));
  useEffect(() => setTitle(task.title), [task.title]);
  useEffect(() => setDescription(task.description), [task.description]);
  useEffect(() => setTags(task.tags.join(', ')), [task.tags]);
  const save = (patch: Partial<Task>) => void table.update(task.id, patch);

  return (
    <article className="card" role="listitem" aria-label={task.title}>
      <input
        type="text"
        aria-label={`Title of ${task.title}`}
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        onBlur={() => title !== task.title && save({ title })}
      />
      <textarea
        aria-label={`Description of ${task.title}`}
        rows={2}
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        onBlur={() => description !== task.description && save({ description })}
      />
      <div className="row">
        <select aria-label={`Status of ${task.title}`} value={task.status} onChange={(e) => save({ status: e.target.value })}>
          <option value="todo">todo</option>
          <option value="doing">doing</option>
          <option value="done">done</option>
        </select>
        <input
          type="text"
          aria-label={`Assignee of ${task.title}`}
          defaultValue={task.assignee}
          key={task.assignee}
          onBlur={(e) => e.target.value !== task.assignee && save({ assignee: e.target.value })}
        />
      </div>
      <input
        type="text"
        aria-label={`Tags of ${task.title}`}
        placeholder="tags, comma separated"
        value={tags}
        onChange={(e) => setTags(e.target.value)}
        onBlur={() => {
          const next = tags
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean);
          if (next.join(',') !== task.tags.join(',')) save({ tags: next });
        }}
      />
      <button className="secondary" aria-label={`Delete ${task.title}`} onClick={() => void table.delete(task.id)}>
        Delete
      </button>
    </article>
  );
}
