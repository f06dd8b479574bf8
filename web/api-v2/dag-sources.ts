/**
 * `dagSources/{dag_id}`: the file's source as it was when a version was stored (the
 * latest one, or `version_number`). JSON by default; plain text for `Accept:
 * text/plain`, and 406 for anything neither, as Airflow.
 */
import type { Request, Router } from 'express';
import { z } from 'zod';
import { rows } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { HttpError, notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { requireDag } from './dags.ts';
import { int32 } from './dag-versions.ts';
import { param, query } from './params.ts';

const SourceQuery = z.object({ version_number: int32.optional() });

/** Which of JSON and text the client takes, in its own order of mention. */
function wantsText(req: Request): boolean {
  const accept = (req.get('accept') ?? '*/*').toLowerCase();
  for (const part of accept.split(',').map((p) => p.split(';')[0]!.trim())) {
    if (part === 'application/json' || part === '*/*' || part === 'application/*') return false;
    if (part === 'text/plain' || part === 'text/*') return true;
  }
  throw new HttpError(406, 'Only application/json or text/plain is supported');
}

export function registerDagSources(router: Router, r: WebResources): void {
  router.get('/dagSources/:dag_id', readOrWrite(), async (req, res) => {
    const dagId = param(req, 'dag_id');
    const text = wantsText(req);
    const q = query(req, SourceQuery);
    await requireDag(r.db, dagId);
    const [v] = q.version_number === undefined
      ? await rows<{ version_number: number; source_code: string | null }>(r.db, `select v.version_number, v.source_code
          from dag d join dag_version v on v.id = d.latest_version_id where d.dag_id = ?`, [dagId])
      : await rows<{ version_number: number; source_code: string | null }>(r.db, `select version_number, source_code
          from dag_version where dag_id = ? and version_number = ?`, [dagId, q.version_number]);
    if (!v) throw notFound(`The source code of Dag ${dagId}, version_number ${q.version_number ?? 'latest'} was not found`);
    if (text) {
      res.type('text/plain').send(v.source_code ?? '');
      return;
    }
    res.json({ content: v.source_code, dag_id: dagId, version_number: v.version_number, dag_display_name: dagId });
  });
}
