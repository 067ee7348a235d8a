import { useEffect, useState } from 'react';
import type { EngineDiagnostics } from '../engine';
import { useSyncEngine, useSyncSelector } from '../react';

/** The live state of the charts and the engine's diagnostics. */
export function DiagnosticsDrawer() {
  const engine = useSyncEngine();
  const [open, setOpen] = useState(false);
  const state = useSyncSelector((s) => JSON.stringify(s.value), Object.is);
  const [diagnostics, setDiagnostics] = useState<EngineDiagnostics | null>(null);
  useEffect(() => {
    if (!open) return;
    let live = true;
    const refresh = () => void engine.diagnostics().then((d) => live && setDiagnostics(d));
    refresh();
    const timer = setInterval(refresh, 1000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [open, engine]);
  return (
    <section aria-label="Diagnostics">
      <button className="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
        Diagnostics
      </button>
      {open && (
        <div role="region" aria-label="Diagnostics details">
          <p>
            Chart state: <code>{state}</code> · {engine.isLeader ? 'leader tab' : 'follower tab'}
          </p>
          <pre>{diagnostics ? JSON.stringify({ ...diagnostics, recentTransitions: diagnostics.recentTransitions.slice(-10) }, null, 2) : 'loading…'}</pre>
        </div>
      )}
    </section>
  );
}
