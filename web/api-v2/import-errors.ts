/** `importErrors[/{import_error_id}]`: files of the dags folder that failed to parse, with the error. */
import type { Router } from 'express';
import { z } from 'zod';
import { rows } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { addPattern, Where } from './dags.ts';
import { intParam } from './dag-versions.ts';
import { orderBy, paging, query } from './params.ts';
import { BUNDLE_NAME, iso } from './serialize/dag.ts';

interface ImportErrorRow { id: number; filename: string; error: string; timestamp: Date }

const ORDER = { id: 'id', import_error_id: 'id', timestamp: 'timestamp', filename: 'filename', bundle_name: 'id', stack_trace: 'error' };

function importErrorJson(e: ImportErrorRow): Record<string, unknown> {
  return { import_error_id: e.id, timestamp: iso(e.timestamp), filename: e.filename, bundle_name: BUNDLE_NAME, stack_trace: e.error };
}

export function registerImportErrors(router: Router, r: WebResources): void {
  router.get('/importErrors', readOrWrite(), async (req, res) => {
    const q = query(req, z.object({ filename_pattern: z.string().optional() }));
    const page = paging(req);
    const order = orderBy(req, ORDER, 'id', 'id');
    const where = new Where();
    if (q.filename_pattern !== undefined) addPattern(where, 'filename', q.filename_pattern);
    const [count] = await rows<{ n: number }>(r.db, `select count(*)::int as n from import_error ${where.toString()}`, where.bindings);
    const errors = await rows<ImportErrorRow>(r.db, `select id, filename, error, timestamp from import_error ${where.toString()}
      order by ${order} limit ? offset ?`, [...where.bindings, page.limit, page.offset]);
    res.json({ import_errors: errors.map(importErrorJson), total_entries: count?.n ?? 0 });
  });

  router.get('/importErrors/:import_error_id', readOrWrite(), async (req, res) => {
    const id = intParam(req, 'import_error_id');
    const [e] = await rows<ImportErrorRow>(r.db, 'select id, filename, error, timestamp from import_error where id = ?', [id]);
    if (!e) throw notFound(`The ImportError with import_error_id: \`${id}\` was not found`);
    res.json(importErrorJson(e));
  });
}
