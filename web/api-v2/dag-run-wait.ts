/**
 * GET /dags/{dag_id}/dagRuns/{dag_run_id}/wait (Airflow 3.1, experimental): streams one
 * NDJSON line `{"state": ...}` now and every `interval` seconds until the run is
 * finished; the last line also carries `results`, the XCom return values of the tasks
 * named by `result` (a list, in map_index order, for a mapped task). The poll stops when
 * the client goes away.
 */
import type { Router } from 'express';
import { rows } from '../../core/transitions/sql.ts';
import { readOrWrite } from '../auth/middleware.ts';
import { ValidationError } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { list, single } from './params.ts';
import { findRun, runPath } from './serialize/dag-run.ts';

const FINISHED = new Set(['success', 'failed']);
/** A floor under `interval`, so a tiny value cannot turn one client into a busy loop on the database. */
const MIN_INTERVAL_MS = 50;

function intervalMs(raw: string | undefined): number {
  if (raw === undefined) throw new ValidationError([{ type: 'missing', loc: ['query', 'interval'], msg: 'Field required' }]);
  const n = Number(raw);
  if (!Number.isFinite(n) || raw.trim() === '') {
    throw new ValidationError([{ type: 'float_parsing', loc: ['query', 'interval'], msg: 'Input should be a valid number', input: raw }]);
  }
  if (n <= 0) throw new ValidationError([{ type: 'greater_than', loc: ['query', 'interval'], msg: 'Input should be greater than 0', input: raw }]);
  return Math.max(MIN_INTERVAL_MS, n * 1000);
}

async function results(r: WebResources, runPk: number | string, taskIds: string[]): Promise<Record<string, unknown>> {
  const found = await rows<{ task_id: string; map_index: number; value: unknown }>(r.db, `
    select task_id, map_index, value from xcom where dag_run_id = ? and key = 'return_value' and task_id = any(?::text[])
    order by task_id, map_index`, [runPk, taskIds]);
  const out: Record<string, unknown> = {};
  for (const id of new Set(found.map((x) => x.task_id))) {
    const entries = found.filter((x) => x.task_id === id);
    out[id] = entries.length === 1 && entries[0]!.map_index < 0 ? entries[0]!.value : entries.map((x) => x.value);
  }
  return out;
}

export function registerDagRunWait(router: Router, r: WebResources): void {
  router.get('/dags/:dag_id/dagRuns/:dag_run_id/wait', readOrWrite(), async (req, res) => {
    const { dagId, runId } = runPath(req);
    const every = intervalMs(single(req.query.interval));
    const taskIds = list(req, 'result');
    const run = await findRun(r.db, dagId, runId);
    let gone = false;
    res.on('close', () => { gone = true; });
    res.status(200).type('application/x-ndjson');
    res.flushHeaders();
    let state = run.state;
    // Once streaming, an error can no longer become a status: end the stream either way.
    try {
      await stream();
    } finally {
      res.end();
    }

    async function stream(): Promise<void> {
      for (;;) {
        const line: Record<string, unknown> = { state };
        const done = FINISHED.has(state);
        if (done && taskIds.length) line.results = await results(r, run.id, taskIds);
        res.write(`${JSON.stringify(line)}\n`);
        if (done || gone) return;
        await new Promise((resolve) => setTimeout(resolve, every));
        if (gone) return;
        const [now] = await rows<{ state: string }>(r.db, 'select state from dag_run where id = ?', [run.id]);
        // A run deleted while we wait ends the stream rather than polling forever.
        if (!now) return;
        state = now.state;
      }
    }
  });
}
