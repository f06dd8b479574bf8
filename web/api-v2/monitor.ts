/**
 * `monitor/health` (component heartbeats: metadatabase, scheduler, dag_processor,
 * triggerer) and `version`. Both are public in Airflow, so web/app.ts mounts them
 * before authentication too.
 */
import { createRequire } from 'node:module';
import type { Router } from 'express';
import { rows } from '../../core/transitions/sql.ts';
import type { WebResources } from '../resources.ts';
import { readOrWrite } from '../auth/middleware.ts';

/** package.json's version (read once, when this module loads: it is not configuration). */
export const UPDRAFT_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

interface Beat { kind: string; latest: Date | null }

export async function health(r: WebResources): Promise<Record<string, unknown>> {
  let db = 'healthy';
  let beats: Beat[] = [];
  try {
    beats = await rows<Beat>(r.db, `select kind, max(heartbeat_at) as latest from component
      where stopped_at is null group by kind`);
  } catch {
    db = 'unhealthy';
  }
  const stale = r.config.heartbeatIntervalMs * 5;
  const status = (kind: string) => {
    const b = beats.find((x) => x.kind === kind);
    const ok = !!b?.latest && Date.now() - b.latest.getTime() < stale;
    return { status: ok ? 'healthy' : 'unhealthy', latest_scheduler_heartbeat: b?.latest?.toISOString() ?? null };
  };
  const scheduler = status('scheduler');
  const processor = status('dag-processor');
  return {
    metadatabase: { status: db },
    scheduler,
    triggerer: { status: null, latest_triggerer_heartbeat: null },
    dag_processor: { status: processor.status, latest_dag_processor_heartbeat: processor.latest_scheduler_heartbeat },
  };
}

export function registerMonitor(router: Router, r: WebResources): void {
  router.get('/monitor/health', readOrWrite(), async (_req, res) => { res.json(await health(r)); });
  router.get('/version', readOrWrite(), (_req, res) => { res.json({ version: UPDRAFT_VERSION, git_version: null }); });
}
