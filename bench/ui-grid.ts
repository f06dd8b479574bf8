/**
 * How fast the UI's grid answers for 100 tasks (in 10 task groups) x 25 runs: the
 * in-process query time (buildGrid) and the whole HTTP request through the api-server
 * (authentication, JSON), median and p95 over 100 requests. Task states are written
 * directly (a mix of finished, running and waiting), so no scheduler or worker runs.
 *   node --import tsx bench/ui-grid.ts      (services must be up: bash scripts/services.sh start)
 */
import { randomBytes } from 'node:crypto';
import { triggerDagRun } from '../core/transitions/trigger-run.ts';
import { createLogger } from '../core/logging.ts';
import { issueToken } from '../web/auth/tokens.ts';
import { ApiServer } from '../web/server.ts';
import { buildGrid } from '../web/ui/grid.ts';
import { createBenchInstall, percentile } from './setup.ts';

const TASKS = 100;
const RUNS = 25;
const ROUNDS = Number(process.env.BENCH_GRID_ROUNDS ?? 100);

const dagFile = `
import { DAG, EmptyOperator, TaskGroup, chain } from 'updraft';
const dag = new DAG({ dag_id: 'bench_grid', schedule: null, start_date: '2026-01-01' });
const groups = Array.from({ length: ${TASKS / 10} }, (_, g) => {
  const tg = new TaskGroup({ group_id: 'group_' + g, dag });
  chain(...Array.from({ length: 10 }, (_, i) => new EmptyOperator({ task_id: 't' + i, task_group: tg })));
  return tg;
});
chain(...groups);
`;

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const install = await createBenchInstall({ 'bench_grid.ts': dagFile });
  const key = randomBytes(32);
  const server = new ApiServer({ config: install.config, db: install.db, log: createLogger('bench', 'warn'), secretKey: key });
  try {
    const { db } = install;
    for (let i = 0; i < RUNS; i++) await triggerDagRun(db, { dag_id: 'bench_grid', run_id: `run_${i}`, logical_date: null });
    // A realistic mix: old runs finished, the latest ones part-way through.
    await db.raw(`update task_instance set state = (array['success','success','success','failed','skipped','upstream_failed','running','queued',null])[1 + (id % 9)]`);
    const [{ n }] = (await db.raw('select count(*)::int as n from task_instance')).rows as [{ n: number }];
    await server.start(0, '127.0.0.1');
    const token = await issueToken(key, { username: 'bench', role: 'viewer' }, 600_000);
    const url = `http://127.0.0.1:${server.port}/ui/grid/bench_grid?limit=${RUNS}`;
    const get = async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`grid: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const body = await get() as { rows: unknown[]; runs: unknown[] };
    const inProcess = await time(() => buildGrid(db, 'bench_grid', RUNS));
    const http = await time(get);
    const fmt = (xs: number[]) => `median ${percentile(xs, 50).toFixed(1)} ms, p95 ${percentile(xs, 95).toFixed(1)} ms`;
    console.log(`grid of ${body.rows.length} rows (${TASKS} tasks + groups) x ${body.runs.length} runs, ${n} task instances`);
    console.log(`  buildGrid (queries + shaping): ${fmt(inProcess)}`);
    console.log(`  GET /ui/grid over HTTP:        ${fmt(http)}`);
  } finally {
    await server.stop();
    await install.teardown();
  }
}

await main();
