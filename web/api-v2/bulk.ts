/**
 * Airflow's bulk PATCH on a collection (`PATCH /variables`, `/connections`, `/pools`):
 * a list of create / update / delete actions, each with what to do when an entity
 * exists or does not (`action_on_existence`: fail | skip | overwrite,
 * `action_on_non_existence`: fail | skip). Each action runs in its own transaction, all
 * or nothing, and reports `{success: [keys], errors: [{error, status_code}]}` as Airflow
 * does; one failing action does not undo the others.
 */
import type { Knex } from 'knex';
import { z } from 'zod';
import { UserInputError } from '../../core/errors.ts';
import type { Executor } from '../../core/transitions/sql.ts';
import { HttpError } from '../errors.ts';

export function bulkBodySchema<E extends z.ZodType>(entity: E) {
  const mask = z.array(z.string()).nullable().optional();
  return z.strictObject({
    actions: z.array(z.discriminatedUnion('action', [
      z.strictObject({
        action: z.literal('create'), entities: z.array(entity),
        action_on_existence: z.enum(['fail', 'skip', 'overwrite']).default('fail'),
      }),
      z.strictObject({
        action: z.literal('update'), entities: z.array(entity), update_mask: mask,
        action_on_non_existence: z.enum(['fail', 'skip']).default('fail'),
      }),
      z.strictObject({
        action: z.literal('delete'), entities: z.array(z.union([z.string(), entity])),
        action_on_non_existence: z.enum(['fail', 'skip']).default('fail'),
      }),
    ])),
  });
}

export interface BulkHandlers<E> {
  /** Plural noun for messages: "variables", "connections", "pools". */
  noun: string;
  /** "keys", "connection_ids", "names" as Airflow words it. */
  keyName: string;
  keyOf(e: E): string;
  existing(db: Executor, keys: string[]): Promise<Set<string>>;
  create(db: Executor, e: E): Promise<void>;
  update(db: Executor, e: E, mask: string[] | null | undefined): Promise<void>;
  remove(db: Executor, key: string): Promise<void>;
}

export interface BulkActionResult { success: string[]; errors: Array<{ error: string; status_code: number }> }
type Body<E> = { actions: Array<
  | { action: 'create'; entities: E[]; action_on_existence: 'fail' | 'skip' | 'overwrite' }
  | { action: 'update'; entities: E[]; update_mask?: string[] | null; action_on_non_existence: 'fail' | 'skip' }
  | { action: 'delete'; entities: Array<string | E>; action_on_non_existence: 'fail' | 'skip' }> };

/** Thrown inside an action's transaction to roll it back and report it. */
class ActionFailed extends Error {
  constructor(message: string, readonly status: number) { super(message); }
}

const setText = (keys: string[]) => `{${keys.map((k) => `'${k}'`).join(', ')}}`;

export async function runBulk<E>(db: Knex, body: Body<E>, h: BulkHandlers<E>): Promise<Partial<Record<'create' | 'update' | 'delete', BulkActionResult>>> {
  const out: Partial<Record<'create' | 'update' | 'delete', BulkActionResult>> = {};
  for (const a of body.actions) {
    const result = (out[a.action] ??= { success: [], errors: [] });
    const done: string[] = [];
    try {
      await db.transaction(async (trx) => {
        if (a.action === 'delete') {
          const keys = a.entities.map((e) => (typeof e === 'string' ? e : h.keyOf(e)));
          const found = await h.existing(trx, keys);
          const missing = keys.filter((k) => !found.has(k));
          if (missing.length > 0 && a.action_on_non_existence === 'fail') {
            throw new ActionFailed(`The ${h.noun} with these ${h.keyName}: ${setText(missing)} were not found.`, 404);
          }
          for (const k of keys) if (found.has(k)) { await h.remove(trx, k); done.push(k); }
          return;
        }
        const found = await h.existing(trx, a.entities.map(h.keyOf));
        if (a.action === 'create') {
          const present = a.entities.map(h.keyOf).filter((k) => found.has(k));
          if (present.length > 0 && a.action_on_existence === 'fail') {
            throw new ActionFailed(`The ${h.noun} with these ${h.keyName}: ${setText(present)} already exist.`, 409);
          }
          for (const e of a.entities) {
            const k = h.keyOf(e);
            if (!found.has(k)) await h.create(trx, e);
            else if (a.action_on_existence === 'overwrite') await h.update(trx, e, null);
            else continue;
            done.push(k);
          }
          return;
        }
        const missing = a.entities.map(h.keyOf).filter((k) => !found.has(k));
        if (missing.length > 0 && a.action_on_non_existence === 'fail') {
          throw new ActionFailed(`The ${h.noun} with these ${h.keyName}: ${setText(missing)} were not found.`, 404);
        }
        for (const e of a.entities) {
          if (!found.has(h.keyOf(e))) continue;
          await h.update(trx, e, a.update_mask);
          done.push(h.keyOf(e));
        }
      });
      result.success.push(...done);
    } catch (err) {
      const status = err instanceof ActionFailed || err instanceof HttpError ? err.status : err instanceof UserInputError ? 400 : 0;
      if (status === 0) throw err; // not the client's doing: a 500, logged
      result.errors.push({ error: (err as Error).message, status_code: status });
    }
  }
  return out;
}
