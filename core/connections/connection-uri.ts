/**
 * Airflow connection URIs: `type://login:password@host:port/schema?key=value`, parts
 * percent-encoded. Query parameters become `extra` (or `__extra__` holds the extra JSON
 * itself); `postgresql` is read as `postgres` and `-` in the type as `_`, as in Airflow.
 * A host that carries its own protocol is written `type://protocol://host...`.
 */
import { UserInputError } from '../errors.ts';
import type { ConnectionView } from '../templating/index.ts';

/** A connection's fields as stored: those templates see, with `extra` as JSON text (or null). */
export type ConnectionFields = Omit<ConnectionView, 'conn_id' | 'extra'> & { extra: string | null };

const SHAPE = 'type://login:password@host:port/schema (parts percent-encoded)';

export function normalizeConnType(type: string): string {
  const t = type.replace(/-/g, '_');
  return t === 'postgresql' ? 'postgres' : t;
}

/** Parse a connection URI. Errors never repeat the URI, which may hold a password. */
export function parseConnectionUri(uri: string): ConnectionFields {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(uri.trim());
  if (!m) throw new UserInputError(`--conn-uri is not a connection URI: expected ${SHAPE}`);
  const conn_type = normalizeConnType(m[1]!);
  let rest = m[2]!;
  let protocol = '';
  const inner = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(rest);
  if (inner) { protocol = inner[1]!; rest = inner[2]!; }
  if (rest.includes('://')) throw new UserInputError('--conn-uri has more than two "://"');
  let u: URL;
  try {
    // A fixed non-special scheme keeps the host as written (no lowercasing, any type name).
    u = new URL(`updraft-conn://${rest}`);
  } catch {
    throw new UserInputError(`--conn-uri is not a valid connection URI (bad host, port or encoding): expected ${SHAPE}`);
  }
  const decode = (s: string): string => {
    try { return decodeURIComponent(s); } catch { throw new UserInputError('--conn-uri has an invalid percent-encoding'); }
  };
  const hostname = decode(u.hostname.replace(/^\[(.*)\]$/, '$1'));
  const host = hostname === '' ? null : protocol ? `${protocol}://${hostname}` : hostname;
  const path = u.pathname.replace(/^\//, '');
  let extra: string | null = null;
  if (u.search !== '') {
    const query = Object.fromEntries(u.searchParams.entries());
    if ('__extra__' in query) {
      extra = validateExtra(query.__extra__ ?? '', '--conn-uri __extra__');
    } else {
      extra = JSON.stringify(query);
    }
  }
  return {
    conn_type, host,
    schema: path === '' ? null : decode(path),
    login: u.username === '' ? null : decode(u.username),
    password: u.password === '' ? null : decode(u.password),
    port: u.port === '' ? null : Number(u.port),
    extra,
  };
}

/** `extra` must be a JSON object; returns it normalized. */
export function validateExtra(text: string, what = '--conn-extra'): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserInputError(`${what} is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UserInputError(`${what} must be a JSON object`);
  return JSON.stringify(parsed);
}

export function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new UserInputError(`--conn-port must be a port number (1-65535), not "${text}"`);
  }
  return n;
}
