import { stableStringify } from '../json/stableStringify';
import type { ConflictSide, ConflictSideName } from './types';

/**
 * The side with the later write: larger `at`, then larger `deviceId`, then (two writes of one device at
 * one ms, which only a broken clock produces) the larger row in stable JSON. Never depends on which side
 * is called client, so every replica picks the same winner.
 */
export function lastWriter(client: ConflictSide, server: ConflictSide): ConflictSideName {
  return (
    laterWrite(client.at, client.deviceId, server.at, server.deviceId) ?? (stableStringify(client.row) > stableStringify(server.row) ? 'client' : 'server')
  );
}

/**
 * The side that wrote `field` last, by that field's own write time and writer (each side's row time and
 * device where it has none of its own), then the field's value in stable JSON.
 */
export function lastFieldWriter(client: ConflictSide, server: ConflictSide, field: string): ConflictSideName {
  const at = (side: ConflictSide) => side.fieldAt?.[field] ?? side.at;
  const device = (side: ConflictSide) => side.fieldDevice?.[field] ?? side.deviceId;
  return (
    laterWrite(at(client), device(client), at(server), device(server)) ??
    (stableStringify(client.row[field] ?? null) > stableStringify(server.row[field] ?? null) ? 'client' : 'server')
  );
}

function laterWrite(clientAt: number, clientDevice: string, serverAt: number, serverDevice: string): ConflictSideName | undefined {
  if (clientAt !== serverAt) return clientAt > serverAt ? 'client' : 'server';
  if (clientDevice !== serverDevice) return clientDevice > serverDevice ? 'client' : 'server';
  return undefined;
}
