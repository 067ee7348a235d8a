import { useDeadLetters } from '../react';

/** Writes the server refused for good: retry or discard them. */
export function DeadLetterPanel() {
  const { deadLetters, retry, discard } = useDeadLetters();
  return (
    <section aria-label="Dead letters">
      <h2>Dead letters ({deadLetters.length})</h2>
      {deadLetters.length === 0 && <p>Nothing was refused.</p>}
      <ul>
        {deadLetters.map((d) => (
          <li key={d.id}>
            {d.op.kind} {d.op.table}/{d.op.rowId}: {d.reason} <button onClick={() => void retry(d.id!)}>Retry</button>{' '}
            <button className="secondary" onClick={() => void discard(d.id!)}>
              Discard
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
