/**
 * GET|POST /pipelines, GET /pipelines/{id}, PUT /pipelines/{id}/schedule. The id is the
 * pipeline's name, which is also its DAG's dag_id. Every save is a new version.
 */
import type { Response, Router } from 'express';
import { z } from 'zod';
import {
  latestPipeline, listPipelines, pipelineVersions, savePipelineVersion, type PipelineSummary, type PipelineVersion,
} from '../../core/pipelines/store.ts';
import { rows } from '../../core/transitions/sql.ts';
import { audit } from '../audit.ts';
import { currentUser, readOrWrite } from '../auth/middleware.ts';
import { conflict, notFound } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { body, paging, param } from '../api-v2/params.ts';
import { pipelineFile, validateDefinition, writePipelineFile } from './definition.ts';

export const pipelineNotFound = (name: string) => notFound(`The Pipeline with ID: \`${name}\` was not found`);

export async function requirePipeline(r: WebResources, name: string): Promise<PipelineSummary> {
  const p = await latestPipeline(r.db, name);
  if (!p) throw pipelineNotFound(name);
  return p;
}

function view(p: PipelineVersion & { first_created_at?: Date }, withDefinition: boolean): Record<string, unknown> {
  return {
    id: p.name, name: p.name, dag_id: p.name, version: p.version,
    schedule: p.definition.schedule ?? null,
    description: p.definition.description ?? null,
    created_at: p.first_created_at ?? null,
    updated_at: p.created_at, updated_by: p.created_by,
    ...(withDefinition && { definition: p.definition }),
  };
}

/** Validate, refuse a name another DAG file already owns, store the version and write the DAG file. */
async function save(r: WebResources, res: Response, doc: unknown, event: string): Promise<PipelineVersion> {
  const { name, definition } = validateDefinition(doc);
  const file = pipelineFile(r.config.dagsFolder, name);
  const [clash] = await rows<{ fileloc: string }>(r.db,
    'select fileloc from dag where dag_id = ? and is_active and fileloc <> ?', [name, file]);
  if (clash) throw conflict(`The DAG \`${name}\` is already defined in ${clash.fileloc}; a pipeline needs a name of its own`);
  const saved = await savePipelineVersion(r.db, name, definition, currentUser(res).username, async () => {
    writePipelineFile(r.config.dagsFolder, name, definition);
  });
  await audit(r, res, { event, dag_id: name, extra: { pipeline: name, version: saved.version } });
  return saved;
}

const ScheduleBody = z.object({
  schedule: z.string().trim().min(1, 'schedule must be a cron expression, a preset such as "@daily", or null').nullable(),
}).strict();

export function registerPipelineRoutes(router: Router, r: WebResources): void {
  router.get('/pipelines', readOrWrite(), async (req, res) => {
    const { pipelines, total_entries } = await listPipelines(r.db, paging(req));
    res.json({ pipelines: pipelines.map((p) => view(p, false)), total_entries });
  });

  router.post('/pipelines', readOrWrite(), async (req, res) => {
    const doc = body(req, z.unknown());
    const named = doc as { name?: unknown; dag_id?: unknown } | null;
    const existed = await latestPipeline(r.db, String(named?.name ?? named?.dag_id ?? ''));
    const saved = await save(r, res, doc, existed ? 'update_pipeline' : 'create_pipeline');
    res.status(201).json(view({ ...saved, first_created_at: existed?.first_created_at ?? saved.created_at }, true));
  });

  router.get('/pipelines/:id', readOrWrite(), async (req, res) => {
    const p = await requirePipeline(r, param(req, 'id'));
    const versions = await pipelineVersions(r.db, p.name);
    const [dag] = await rows<{ is_paused: boolean; next_dagrun: Date | null }>(r.db,
      'select is_paused, next_dagrun from dag where dag_id = ? and is_active', [p.name]);
    res.json({
      ...view(p, true),
      dag: dag ? { loaded: true, is_paused: dag.is_paused, next_dagrun: dag.next_dagrun } : { loaded: false },
      versions: versions.map((v) => ({ version: v.version, created_at: v.created_at, created_by: v.created_by })),
    });
  });

  router.put('/pipelines/:id/schedule', readOrWrite(), async (req, res) => {
    const p = await requirePipeline(r, param(req, 'id'));
    const { schedule } = body(req, ScheduleBody);
    const saved = await save(r, res, { ...p.definition, schedule }, 'update_pipeline_schedule');
    res.json(view({ ...saved, first_created_at: p.first_created_at }, true));
  });
}
