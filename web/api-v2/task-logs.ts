/**
 * GET .../taskInstances/{task_id}/logs/{try_number}: one try's log from the task_log
 * table. JSON by default (`{content: [{event, timestamp, stream}], continuation_token}`),
 * newline-delimited JSON for `Accept: application/x-ndjson` (Airflow 3's streaming form)
 * and plain text for `Accept: text/plain`. The continuation token is the id of the last
 * line returned, signed with the server key (a forged or edited token is a 400, as in
 * Airflow); the next call with it returns only lines written since, which is how a
 * running task's log is followed. `full_content` ignores the token and the page cap.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Router } from 'express';
import { z } from 'zod';
import { rows } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { badRequest, notFound, validationError } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { param, query } from './params.ts';
import { iso } from './serialize/task-instance.ts';
import { mapIndexOf, TI_PATH, tiPath } from './task-instance-get.ts';

/** Lines per answer without full_content: a big log arrives in pages, never as one huge body. */
export const LOG_PAGE = 5000;

const LogQuery = z.object({
  full_content: z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
  token: z.string().optional(),
});

interface LogLine { id: string; ts: Date; stream: string; message: string }

function sign(key: Uint8Array, payload: string): string {
  return createHmac('sha256', key).update(`task-log:${payload}`).digest('base64url');
}

export function encodeToken(key: Uint8Array, lastId: string): string {
  const payload = Buffer.from(JSON.stringify({ last_log_id: lastId })).toString('base64url');
  return `${payload}.${sign(key, payload)}`;
}

export function decodeToken(key: Uint8Array, token: string): string {
  const bad = () => badRequest('Bad Signature. Please use only the tokens provided by the API.');
  const [payload, mac, extra] = token.split('.');
  if (!payload || !mac || extra !== undefined) throw bad();
  const expected = Buffer.from(sign(key, payload));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw bad();
  try {
    const id = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { last_log_id?: unknown }).last_log_id;
    if (typeof id === 'string' && /^\d+$/.test(id)) return id;
  } catch { /* falls through to the 400 */ }
  throw bad();
}

export function registerTaskLogs(router: Router, r: WebResources): void {
  router.get(`${TI_PATH}/logs/:try_number`, readOrWrite(), async (req, res) => {
    const { dagId, runId, taskId } = tiPath(req);
    const rawTry = param(req, 'try_number');
    const tryParsed = z.coerce.number().int().min(0).safeParse(rawTry);
    if (!tryParsed.success) throw validationError('path', new z.ZodError(tryParsed.error.issues.map((i) => ({ ...i, path: ['try_number'] }))), { try_number: rawTry });
    const mapIndex = mapIndexOf(req.query.map_index, 'query')!;
    const q = query(req, LogQuery);
    const after = q.token && !q.full_content ? decodeToken(r.secretKey, q.token) : '0';
    const [ti] = await rows<{ id: string }>(r.db,
      'select id from task_instance where dag_id = ? and run_id = ? and task_id = ? and map_index = ?', [dagId, runId, taskId, mapIndex]);
    if (!ti) throw notFound('TaskInstance not found');
    const lines = await rows<LogLine>(r.db, `select id::text as id, ts, stream, message from task_log
      where ti_id = ? and try_number = ? and id > ?::bigint order by id ${q.full_content ? '' : `limit ${LOG_PAGE}`}`,
    [ti.id, tryParsed.data, after]);
    const token = encodeToken(r.secretKey, lines.at(-1)?.id ?? after);
    const content = lines.map((l) => ({ event: l.message, timestamp: iso(l.ts), stream: l.stream }));
    res.set('X-Continuation-Token', token);
    const kind = req.accepts(['application/json', 'application/x-ndjson', 'text/plain']);
    if (kind === 'application/x-ndjson') {
      res.type('application/x-ndjson').send(content.map((c) => `${JSON.stringify(c)}\n`).join(''));
    } else if (kind === 'text/plain') {
      res.type('text/plain').send(content.map((c) => `[${c.timestamp}] ${c.event}\n`).join(''));
    } else {
      res.json({ content, continuation_token: token });
    }
  });
}
