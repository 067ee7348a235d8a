import { useSyncStatus } from '../react';

/** Status, pending count, last sync time and the first download's progress, announced politely. */
export function SyncBadge() {
  const { status, pending, lastSyncedAt, progress, error } = useSyncStatus();
  return (
    <div className="badge" role="status" aria-label="Sync status">
      <span className={`dot ${status}`} aria-hidden="true" />
      <span>{status}</span>
      <span>{pending} pending</span>
      <span>{lastSyncedAt ? `synced ${new Date(lastSyncedAt).toLocaleTimeString()}` : 'never synced'}</span>
      {progress?.phase === 'initial' && <progress aria-label="First download" max={progress.total ?? undefined} value={progress.processed} />}
      {error && <span title={error.message}>⚠ {error.code}</span>}
    </div>
  );
}
