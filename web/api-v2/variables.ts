/**
 * /variables: Airflow's Variable resource. Values are read and written through
 * core/variables (encrypted at rest with the Fernet key); answers mask secret-looking
 * values ("***"). Reading needs viewer, any change needs op, and every change is in
 * the event log (keys only, never values).
 */
import type { Router } from 'express';
import { z } from 'zod';
import { deleteVariable, openRow, setVariable, type VariableRow } from '../../core/variables/variables.ts';
import { rows, type Executor } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { audit } from '../audit.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { bulkBodySchema, runBulk, type BulkHandlers } from './bulk.ts';
import { body, orderBy, paging, param, query } from './params.ts';
import { patternFilter, updateMask } from './params-extra.ts';
import { maskVariableValue } from './serialize/masking.ts';

const VariableBody = z.strictObject({
  key: z.string().min(1).max(250),
  value: z.json(),
  description: z.string().nullable().optional(),
  team_name: z.string().max(50).nullable().optional(),
});
type VariableBody = z.infer<typeof VariableBody>;

// No id column: Airflow's `id` orders by insertion, ours by key (stable and unique).
const ORDER = { key: 'key', id: 'key', _val: 'val', description: 'description', is_encrypted: 'is_encrypted' };

const notFoundMsg = (key: string) => `The Variable with key: \`${key}\` was not found`;

function serialize(row: VariableRow, fernetKey: string | undefined) {
  return { key: row.key, value: maskVariableValue(row.key, openRow(row, fernetKey)), description: row.description, is_encrypted: row.is_encrypted };
}

async function findRow(db: Executor, key: string): Promise<VariableRow | undefined> {
  const [row] = await rows<VariableRow>(db, 'select * from variable where key = ?', [key]);
  return row;
}

/** Apply a body to an existing variable, only the masked fields when a mask is given. */
async function update(db: Executor, b: VariableBody, mask: string[] | null | undefined, fernetKey: string | undefined): Promise<void> {
  const row = await findRow(db, b.key);
  if (!row) throw notFound(notFoundMsg(b.key));
  const has = (f: string) => !mask || mask.includes(f);
  const value = has('value') ? b.value : openRow(row, fernetKey);
  const description = has('description') ? (b.description ?? null) : row.description;
  await setVariable(db, { key: b.key, value, description }, fernetKey);
}

export function registerVariables(router: Router, r: WebResources): void {
  const auth = readOrWrite('op');
  const fernet = r.config.fernetKey;

  router.get('/variables', auth, async (req, res) => {
    const { variable_key_pattern } = query(req, z.object({ variable_key_pattern: z.string().optional() }));
    const page = paging(req);
    const order = orderBy(req, ORDER, 'id', 'key');
    const filter = patternFilter('key', variable_key_pattern);
    const where = filter ? `where ${filter.sql}` : '';
    const bind = filter ? [filter.binding] : [];
    const [count] = await rows<{ n: number }>(r.db, `select count(*)::int as n from variable ${where}`, bind);
    const page_rows = await rows<VariableRow>(r.db, `select * from variable ${where} order by ${order} limit ? offset ?`, [...bind, page.limit, page.offset]);
    res.json({ variables: page_rows.map((v) => serialize(v, fernet)), total_entries: count!.n });
  });

  router.post('/variables', auth, async (req, res) => {
    const b = body(req, VariableBody);
    if (await findRow(r.db, b.key)) throw conflict(`The Variable with key: \`${b.key}\` already exists`);
    await setVariable(r.db, { key: b.key, value: b.value, description: b.description ?? null }, fernet);
    await audit(r, res, { event: 'post_variable', extra: { key: b.key } });
    res.status(201).json(serialize((await findRow(r.db, b.key))!, fernet));
  });

  router.patch('/variables', auth, async (req, res) => {
    const b = body(req, bulkBodySchema(VariableBody));
    const handlers: BulkHandlers<VariableBody> = {
      noun: 'variables', keyName: 'keys', keyOf: (e) => e.key,
      existing: async (db, keys) => new Set((await rows<{ key: string }>(db, 'select key from variable where key = any(?)', [keys])).map((x) => x.key)),
      create: (db, e) => setVariable(db, { key: e.key, value: e.value, description: e.description ?? null }, fernet),
      update: (db, e, mask) => update(db, e, mask, fernet),
      remove: async (db, key) => { await deleteVariable(db, key); },
    };
    const result = await runBulk(r.db, b, handlers);
    await audit(r, res, { event: 'bulk_variables', extra: Object.fromEntries(Object.entries(result).map(([a, x]) => [a, x.success])) });
    res.json(result);
  });

  router.get('/variables/:variable_key', auth, async (req, res) => {
    const key = param(req, 'variable_key');
    const row = await findRow(r.db, key);
    if (!row) throw notFound(notFoundMsg(key));
    res.json(serialize(row, fernet));
  });

  router.patch('/variables/:variable_key', auth, async (req, res) => {
    const key = param(req, 'variable_key');
    const mask = updateMask(req, ['value', 'description']);
    const b = body(req, VariableBody);
    if (b.key !== key) throw badRequest('Invalid body, key from request body doesn\'t match uri parameter');
    await update(r.db, b, mask, fernet);
    await audit(r, res, { event: 'patch_variable', extra: { key, update_mask: mask } });
    res.json(serialize((await findRow(r.db, key))!, fernet));
  });

  router.delete('/variables/:variable_key', auth, async (req, res) => {
    const key = param(req, 'variable_key');
    if (!(await deleteVariable(r.db, key))) throw notFound(notFoundMsg(key));
    await audit(r, res, { event: 'delete_variable', extra: { key } });
    res.status(204).end();
  });
}
