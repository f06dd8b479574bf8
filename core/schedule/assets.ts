/**
 * Asset URIs and asset schedules (data-aware scheduling, Airflow's `schedule=[Asset(...)]`).
 * The rules live here, in pure code, so the authoring `Asset` class, task outlets and
 * `schedule: [...]` lists (TypeScript or declarative) all validate URIs the same way.
 */
import type { ScheduleSpec } from './types.ts';

/** Airflow's limit on asset names and URIs. */
const MAX_URI_LENGTH = 1500;

/**
 * Returns the URI unchanged, or throws naming the URI and what is wrong with it.
 * Airflow's rules: non-empty, at most 1500 characters, ASCII only, no whitespace,
 * the `airflow` scheme is reserved, and no credentials in the URI (they would be
 * stored and shown in listings).
 */
export function validateAssetUri(uri: unknown, where = 'asset'): string {
  if (typeof uri !== 'string') throw new Error(`${where}: the URI must be a string, got ${JSON.stringify(uri) ?? String(uri)}`);
  const what = `${where}: invalid asset URI ${JSON.stringify(uri)}`;
  if (uri === '') throw new Error(`${what}: it is empty`);
  if (uri.length > MAX_URI_LENGTH) throw new Error(`${what}: it is longer than ${MAX_URI_LENGTH} characters`);
  const space = uri.search(/\s/);
  if (space >= 0) throw new Error(`${what}: it contains whitespace (character ${space + 1}); Airflow asset URIs have no spaces`);
  const nonAscii = uri.search(/[^\x00-\x7f]/);
  if (nonAscii >= 0) throw new Error(`${what}: it contains a non-ASCII character (character ${nonAscii + 1})`);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1];
  if (scheme?.toLowerCase() === 'airflow') throw new Error(`${what}: the "airflow" scheme is reserved`);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/.test(uri)) {
    throw new Error(`${what}: it must not contain credentials (user:password@)`);
  }
  return uri;
}

/** An outlet or schedule entry: a URI string, or an object with a `uri` (an `Asset`). */
export function assetUriOf(entry: unknown, where: string): string {
  if (typeof entry === 'string') return validateAssetUri(entry, where);
  if (entry && typeof entry === 'object' && 'uri' in entry) return validateAssetUri((entry as { uri: unknown }).uri, where);
  throw new Error(`${where}: expected an asset URI string or an Asset, got ${JSON.stringify(entry) ?? String(entry)}`);
}

/**
 * `schedule: [Asset | uri, ...]`: the DAG runs once every listed asset has been updated
 * since its last asset-triggered run (Airflow's AND). Duplicates are dropped, order kept.
 */
export function compileAssetSchedule(list: readonly unknown[]): ScheduleSpec {
  if (list.length === 0) {
    throw new Error('invalid schedule []: an asset schedule needs at least one asset; use null for manual-only DAGs');
  }
  const uris = list.map((entry, i) => assetUriOf(entry, `invalid schedule: entry ${i}`));
  return { kind: 'assets', uris: [...new Set(uris)] };
}
