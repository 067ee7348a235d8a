import { useState } from 'react';
import type { JsonObject } from '../core/json/types';
import type { ConflictRecord } from '../local/types';
import { useConflicts } from '../react';

const FIELDS = ['title', 'description', 'status', 'assignee', 'tags'];

/** Conflicts left for people: keep mine, keep theirs, or pick field by field. */
export function ConflictsPanel() {
  const { conflicts, resolve } = useConflicts();
  return (
    <section aria-label="Conflicts">
      <h2>Conflicts ({conflicts.length})</h2>
      {conflicts.length === 0 && <p>No conflicts.</p>}
      {conflicts.map((c) => (
        <Conflict key={c.id} conflict={c} resolve={resolve} />
      ))}
    </section>
  );
}

function Conflict({ conflict, resolve }: { conflict: ConflictRecord; resolve: (id: number, choice: 'local' | 'remote' | JsonObject) => Promise<void> }) {
  const [pick, setPick] = useState<Record<string, 'local' | 'remote'>>({});
  const label = String(conflict.remote?.title ?? conflict.local?.title ?? conflict.rowId);
  const merged = (): JsonObject => {
    const out: JsonObject = { ...(conflict.remote ?? conflict.local ?? {}) };
    for (const field of FIELDS) {
      const side = pick[field] === 'local' ? conflict.local : conflict.remote;
      if (side && field in side) out[field] = side[field]!;
    }
    return out;
  };
  return (
    <div className="conflict" role="group" aria-label={`Conflict on ${label}`}>
      <table>
        <thead>
          <tr>
            <th>field</th>
            <th>mine</th>
            <th>theirs</th>
          </tr>
        </thead>
        <tbody>
          {FIELDS.filter((f) => JSON.stringify(conflict.local?.[f]) !== JSON.stringify(conflict.remote?.[f])).map((field) => (
            <tr key={field}>
              <td>{field}</td>
              {(['local', 'remote'] as const).map((side) => (
                <td key={side}>
                  <label>
                    <input
                      type="radio"
                      name={`${conflict.id}-${field}`}
                      aria-label={`Use ${side === 'local' ? 'mine' : 'theirs'} for ${field}`}
                      checked={(pick[field] ?? 'remote') === side}
                      onChange={() => setPick({ ...pick, [field]: side })}
                    />{' '}
                    {JSON.stringify((side === 'local' ? conflict.local : conflict.remote)?.[field] ?? null)}
                  </label>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <button onClick={() => void resolve(conflict.id!, 'local')}>Keep mine</button>{' '}
      <button onClick={() => void resolve(conflict.id!, 'remote')}>Keep theirs</button>{' '}
      <button onClick={() => void resolve(conflict.id!, merged())}>Merge selected</button>
    </div>
  );
}
