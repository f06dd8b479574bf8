/**
 * /connections: Airflow's Connection resource, stored through core/connections
 * (password and extra encrypted at rest with the Fernet key). A password is never
 * answered: a set one reads as "***", and secret keys of `extra` are masked. A client
 * that sends "***" back (it edited what it read) keeps the stored secret, as in Airflow.
 * Reading needs viewer, changes need op; every change is in the event log.
 */
import type { Router } from 'express';
import { z } from 'zod';
import {
  addConnection, deleteConnection, getStoredConnection, type NewConnection,
} from '../../core/connections/manage-connections.ts';
import { openConnectionRow, parseExtra, type StoredConnectionRow } from '../../core/connections/stored-connection.ts';
import { rows, type Executor } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { audit } from '../audit.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { bulkBodySchema, runBulk, type BulkHandlers } from './bulk.ts';
import { body, orderBy, paging, param, query } from './params.ts';
import { patternFilter, updateMask } from './params-extra.ts';
import { MASK, maskJsonText, unmaskJson } from './serialize/masking.ts';

const nullableText = z.string().nullable().optional();

const ConnectionBody = z.strictObject({
  connection_id: z.string().max(200).regex(/^[\w.-]+$/, 'connection_id may hold letters, digits, "_", "." and "-" only'),
  conn_type: z.string().min(1),
  description: nullableText, host: nullableText, login: nullableText, schema: nullableText, password: nullableText,
  port: z.number().int().min(0).max(65535).nullable().optional(),
  extra: z.string().nullable().optional().refine((x) => x === undefined || x === null || x.trim() === '' || isJsonObject(x),
    'extra must be a JSON object, e.g. {"key": "value"}'),
  team_name: z.string().max(50).nullable().optional(),
});
type ConnectionBody = z.infer<typeof ConnectionBody>;

function isJsonObject(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

const FIELDS = ['conn_type', 'description', 'host', 'login', 'schema', 'port', 'password', 'extra'] as const;

// No id column: `id` orders by conn_id (stable and unique).
const ORDER = {
  conn_id: 'conn_id', connection_id: 'conn_id', id: 'conn_id', conn_type: 'conn_type', description: 'description',
  host: 'host', port: 'port',
};

const notFoundMsg = (id: string) => `The Connection with connection_id: \`${id}\` was not found`;

/** An opened (decrypted) row as Airflow answers it: no password, secret extras masked. */
function serialize(row: StoredConnectionRow) {
  return {
    connection_id: row.conn_id, conn_type: row.conn_type, description: row.description, host: row.host,
    login: row.login, schema: row.schema, port: row.port,
    password: row.password === null || row.password === '' ? null : MASK,
    extra: row.extra === null ? null : (maskJsonText(row.extra) ?? row.extra),
  };
}

/** The stored connection a body becomes; `old` (decrypted) supplies unmasked secrets and fields outside the mask. */
function merged(b: ConnectionBody, old: StoredConnectionRow | undefined, mask: string[] | null | undefined): NewConnection {
  const has = (f: string) => !mask || mask.includes(f);
  const pick = <K extends typeof FIELDS[number]>(f: K, v: ConnectionBody[K]) => (has(f) ? v ?? null : old?.[f] ?? null);
  let password = pick('password', b.password);
  if (password === MASK && old) password = old.password;
  let extra = pick('extra', b.extra) as string | null;
  if (extra !== null && extra.trim() === '') extra = null;
  if (extra !== null && old && has('extra')) extra = JSON.stringify(unmaskJson(JSON.parse(extra), parseExtra(old.extra)));
  return {
    conn_id: b.connection_id, conn_type: has('conn_type') ? b.conn_type : old!.conn_type,
    description: pick('description', b.description), host: pick('host', b.host), login: pick('login', b.login),
    schema: pick('schema', b.schema), port: pick('port', b.port) as number | null, password, extra,
  };
}

export function registerConnections(router: Router, r: WebResources): void {
  const auth = readOrWrite('op');
  const fernet = r.config.fernetKey;
  const stored = (db: Executor, id: string) => getStoredConnection(db, id, fernet);

  /** Replace a connection in one transaction: core only inserts whole rows (and seals their secrets). */
  async function update(db: Executor, b: ConnectionBody, mask: string[] | null | undefined): Promise<void> {
    const old = await stored(db, b.connection_id);
    if (!old) throw notFound(notFoundMsg(b.connection_id));
    await deleteConnection(db, b.connection_id);
    await addConnection(db, merged(b, old, mask), fernet);
  }

  router.get('/connections', auth, async (req, res) => {
    const { connection_id_pattern } = query(req, z.object({ connection_id_pattern: z.string().optional() }));
    const page = paging(req);
    const order = orderBy(req, ORDER, 'id', 'conn_id');
    const filter = patternFilter('conn_id', connection_id_pattern);
    const where = filter ? `where ${filter.sql}` : '';
    const bind = filter ? [filter.binding] : [];
    const [count] = await rows<{ n: number }>(r.db, `select count(*)::int as n from connection ${where}`, bind);
    const list = await rows<StoredConnectionRow>(r.db, `select * from connection ${where} order by ${order} limit ? offset ?`, [...bind, page.limit, page.offset]);
    res.json({ connections: list.map((c) => serialize(openConnectionRow(c, fernet))), total_entries: count!.n });
  });

  router.post('/connections', auth, async (req, res) => {
    const b = body(req, ConnectionBody);
    if (await stored(r.db, b.connection_id)) throw conflict(`Connection with connection_id: \`${b.connection_id}\` already exists`);
    await addConnection(r.db, merged(b, undefined, null), fernet);
    await audit(r, res, { event: 'post_connection', extra: { connection_id: b.connection_id, conn_type: b.conn_type } });
    res.status(201).json(serialize((await stored(r.db, b.connection_id))!));
  });

  router.patch('/connections', auth, async (req, res) => {
    const b = body(req, bulkBodySchema(ConnectionBody));
    const handlers: BulkHandlers<ConnectionBody> = {
      noun: 'connections', keyName: 'connection_ids', keyOf: (e) => e.connection_id,
      existing: async (db, ids) => new Set((await rows<{ conn_id: string }>(db, 'select conn_id from connection where conn_id = any(?)', [ids])).map((x) => x.conn_id)),
      create: (db, e) => addConnection(db, merged(e, undefined, null), fernet),
      update: (db, e, mask) => update(db, e, mask),
      remove: async (db, id) => { await deleteConnection(db, id); },
    };
    const result = await runBulk(r.db, b, handlers);
    await audit(r, res, { event: 'bulk_connections', extra: Object.fromEntries(Object.entries(result).map(([a, x]) => [a, x.success])) });
    res.json(result);
  });

  router.get('/connections/:connection_id', auth, async (req, res) => {
    const id = param(req, 'connection_id');
    const row = await stored(r.db, id);
    if (!row) throw notFound(notFoundMsg(id));
    res.json(serialize(row));
  });

  router.patch('/connections/:connection_id', auth, async (req, res) => {
    const id = param(req, 'connection_id');
    const mask = updateMask(req, FIELDS);
    const b = body(req, ConnectionBody);
    if (b.connection_id !== id) throw badRequest('The connection_id in the request body does not match the URL parameter');
    await r.db.transaction((trx) => update(trx, b, mask));
    await audit(r, res, { event: 'patch_connection', extra: { connection_id: id, update_mask: mask } });
    res.json(serialize((await stored(r.db, id))!));
  });

  router.delete('/connections/:connection_id', auth, async (req, res) => {
    const id = param(req, 'connection_id');
    if (!(await deleteConnection(r.db, id))) throw notFound(notFoundMsg(id));
    await audit(r, res, { event: 'delete_connection', extra: { connection_id: id } });
    res.status(204).end();
  });
}
