import { stableStringify } from '../json/stableStringify';
import type { ConflictSide, ConflictSideName } from './types';

/**
 * The side with the later write: larger `at`, then larger `deviceId`, then (two writes of one device at
 * one ms, which only a broken clock produces) the larger row in stable JSON. Never depends on which side
 * is called client, so every replica picks the same winner.
 */
export function lastWriter(client: ConflictSide, server: ConflictSide): ConflictSideName {
  if (client.at !== server.at) return client.at > server.at ? 'client' : 'server';
  if (client.deviceId !== server.deviceId) return client.deviceId > server.deviceId ? 'client' : 'server';
  return stableStringify(client.row) > stableStringify(server.row) ? 'client' : 'server';
}
