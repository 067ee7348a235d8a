import { unstorableString } from '../../protocol/jsonSafety';
import type { WireOp } from '../../protocol/schemas';

/** Clamps a push's write times to `latest`: a far-future client clock would win last-write-wins for as long. */
export function clampTimes(ops: readonly WireOp[], latest: number): WireOp[] {
  const clamp = (t: number) => Math.min(t, latest);
  return ops.map((op) => {
    if (
      op.at <= latest &&
      (!op.fieldAt || Object.values(op.fieldAt).every((t) => t <= latest)) &&
      (op.kind !== 'create' || op.putAt === undefined || op.putAt <= latest)
    )
      return op;
    return {
      ...op,
      at: clamp(op.at),
      ...(op.fieldAt ? { fieldAt: Object.fromEntries(Object.entries(op.fieldAt).map(([f, t]) => [f, clamp(t)])) } : {}),
      ...(op.kind === 'create' && op.putAt !== undefined ? { putAt: clamp(op.putAt) } : {}),
    } as WireOp;
  });
}

/** The op id of `ops[i]` when `path` is inside it and the op has a usable id. */
export function opIdAt(body: unknown, path: string): string | undefined {
  const index = /^ops\[(\d+)\]/.exec(path)?.[1];
  const op = index === undefined ? undefined : ((body as { ops?: unknown[] } | null)?.ops?.[Number(index)] as { opId?: unknown } | undefined);
  return typeof op?.opId === 'string' && op.opId.length <= 256 && !unstorableString(op.opId) ? op.opId : undefined;
}
