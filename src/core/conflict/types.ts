import type { JsonObject, JsonValue } from '../json/types';

/** The two sides of a conflict: the pushed op (client) and the stored row (server). */
export type ConflictSideName = 'client' | 'server';

/** One side's view of the conflicting row. */
export interface ConflictSide {
  /** This side's row data (sync metadata excluded). */
  row: JsonObject;
  /** Fields this side changed since the common base; computed from `base.row` when omitted. */
  changed?: readonly string[];
  /** Wall-clock ms of this side's last write (row-level last-write-wins). */
  at: number;
  /** The device (or server) that made this side's last write; breaks LWW ties deterministically. */
  deviceId: string;
  /** When each field was last written, where it differs from `at` (field-level last-write-wins). */
  fieldAt?: Readonly<Record<string, number>>;
  /** Who last wrote each field, where it differs from `deviceId`. */
  fieldDevice?: Readonly<Record<string, string>>;
  /** Writes this side made since the common base (1 when absent), for `version-wins`. */
  writes?: number;
  /** The writer's role, for `role-based`. */
  role?: string;
}

/** Everything a strategy may look at. */
export interface ConflictInput {
  table: string;
  rowId: string;
  /** The common ancestor both sides changed, as far as it is known (the fields the client changed). */
  base?: { row?: JsonObject };
  client: ConflictSide;
  server: ConflictSide;
}

/** What a per-field rule sees for one colliding field. */
export interface FieldMergeContext {
  field: string;
  base: JsonValue | undefined;
  client: JsonValue | undefined;
  server: JsonValue | undefined;
  /** The side that wrote this field last (the fallback of every rule). */
  lwwWinner: ConflictSideName;
  input: ConflictInput;
}

/** A custom field rule: returns the merged value (undefined removes the field). */
export type FieldMergeFunction = (context: FieldMergeContext) => JsonValue | undefined;

/** How a field changed on both sides is merged. */
export type FieldRule =
  | 'lww'
  | 'max'
  | 'min'
  | 'or'
  | 'union'
  | 'concat'
  | 'counter'
  | 'deep'
  | { rule: 'union'; by?: string }
  | { rule: 'concat'; separator?: string }
  | FieldMergeFunction;

/** A table's conflict policy. */
export type ConflictPolicy =
  | { strategy: 'server-wins' }
  | { strategy: 'client-wins' }
  | { strategy: 'last-write-wins' }
  | { strategy: 'version-wins' }
  | { strategy: 'role-based'; roles?: readonly string[] }
  | { strategy: 'field-merge'; fields?: Readonly<Record<string, FieldRule>>; default?: FieldRule }
  | { strategy: 'manual' }
  | {
      strategy: 'custom';
      /** The resolved row from both sides (and the base, when known). */
      resolve: (input: ConflictInput) => JsonObject;
    };

/** The name of a conflict strategy. */
export type ConflictStrategy = ConflictPolicy['strategy'];

/** Policies by table name. */
export type ConflictPolicies = Readonly<Record<string, ConflictPolicy>>;

/** Where a field's resolved value came from: one side, both (they agreed), or a merge rule. */
export interface FieldSource {
  from: ConflictSideName | 'both' | 'merged';
  /** The rule that merged it, for `merged`. */
  rule?: string;
}

/** The outcome of resolving one conflict, with an audit trail for the UI. */
export interface Resolution {
  /** `manual`: nothing was merged — the server keeps its row and the client stores both sides. */
  outcome: 'resolved' | 'manual';
  /** The side whose row won whole, or `merged` when fields came from both. */
  winner: ConflictSideName | 'merged';
  /** The resolved row data. */
  row: JsonObject;
  /** For every field on which the two sides differ: where the resolved value came from. */
  fields: Record<string, FieldSource>;
}
