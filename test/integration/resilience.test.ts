/**
 * Resilience on real PostgreSQL and Redis: two schedulers at once create every run
 * once and run every try once; Redis losing its jobs (FLUSHALL / FLUSHDB) loses no
 * work. Worker deaths and stops are in res-worker-signals.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness, exitWithin, Procs, stuckTaskInstances, taskInstance, tries, waitFor } from '../support/res-procs.ts';
import { startPrivateRedis, type PrivateRedis } from '../support/res-redis.ts';

const DAY = 86_400_000;
const PARALLEL = ['p1', 'p2', 'p3', 'p4'];

/** Midnight UTC `days` days ago. */
function daysAgo(days: number): Date {
  const today = new Date();
  return new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - days * DAY);
}

/**
 * A daily DAG with catchup from 10 days ago: start, four parallel bash tasks, a join.
 * Every bash task appends "run_id task_id try" to `sideEffects`, once per execution.
 */
function catchupDag(dagId: string, sideEffects: string): string {
  const append = `sleep 0.$((RANDOM % 3)); echo "$AIRFLOW_CTX_DAG_RUN_ID $AIRFLOW_CTX_TASK_ID $AIRFLOW_CTX_TRY_NUMBER" >> ${sideEffects}`;
  return `
import { BashOperator, DAG, EmptyOperator } from 'updraft';
const dag = new DAG({
  dag_id: '${dagId}', schedule: '@daily', start_date: '${daysAgo(10).toISOString().slice(0, 10)}',
  catchup: true, max_active_runs: 16, max_active_tasks: 32, default_args: { retries: 0 },
});
const start = new EmptyOperator({ task_id: 'start', dag });
const join = new BashOperator({ task_id: 'join', dag, bash_command: ${JSON.stringify(append)} });
for (const id of ${JSON.stringify(PARALLEL)}) {
  const t = new BashOperator({ task_id: id, dag, bash_command: ${JSON.stringify(append)} });
  start.rshift(t);
  t.rshift(join);
}
`;
}

/** Poll until `expected` scheduled runs exist and every run of the DAG has finished. */
async function waitForAllRuns(h: Harness, dagId: string, expectedScheduled: number, timeoutMs: number): Promise<void> {
  await waitFor(`${expectedScheduled} scheduled runs of ${dagId}, all finished`, async () => {
    const [r] = await rows<{ scheduled: number; unfinished: number }>(h.db, `
      select count(*) filter (where run_type = 'scheduled')::int as scheduled,
        count(*) filter (where state not in ('success', 'failed'))::int as unfinished
      from dag_run where dag_id = ?`, [dagId]);
    return r && r.scheduled >= expectedScheduled && r.unfinished === 0;
  }, timeoutMs, 100);
  // A moment for a scheduler that is late to create a duplicate, if it would.
  await new Promise((r) => setTimeout(r, 600));
}

/** No run twice, no try twice, every bash task's side effect exactly once. */
async function assertEachRunAndTryOnce(h: Harness, dagId: string, sideEffects: string, manualDates: Date[]): Promise<void> {
  const runs = await rows<{ run_id: string; run_type: string; logical_date: Date; state: string }>(h.db,
    'select run_id, run_type, logical_date, state from dag_run where dag_id = ? order by logical_date', [dagId]);
  const scheduled = runs.filter((r) => r.run_type === 'scheduled').map((r) => r.logical_date.toISOString());
  const expected = Array.from({ length: 10 }, (_, i) => new Date(daysAgo(10).getTime() + i * DAY).toISOString());
  expect(scheduled, 'scheduled runs: one per daily interval of the catchup').to.deep.equal(expected);
  expect(runs.filter((r) => r.run_type === 'manual').map((r) => r.logical_date.toISOString()).sort())
    .to.deep.equal(manualDates.map((d) => d.toISOString()).sort());
  const dupes = await rows(h.db, `select logical_date, count(*)::int as n from dag_run where dag_id = ?
    group by logical_date having count(*) > 1`, [dagId]);
  expect(dupes, 'runs with the same logical date').to.deep.equal([]);
  expect(runs.map((r) => r.state)).to.deep.equal(runs.map(() => 'success'));

  const [t] = await rows<{ tis: number; tries: number; distinct_tries: number; max_try: number; not_success: number }>(h.db, `
    select (select count(*)::int from task_instance where dag_id = ?) as tis,
      count(*)::int as tries, count(distinct (y.ti_id, y.try_number))::int as distinct_tries,
      max(y.try_number)::int as max_try, count(*) filter (where y.state <> 'success')::int as not_success
    from task_instance_try y join task_instance ti on ti.id = y.ti_id where ti.dag_id = ?`, [dagId, dagId]);
  const totalRuns = 10 + manualDates.length;
  expect(t).to.deep.equal({ tis: totalRuns * 6, tries: totalRuns * 6, distinct_tries: totalRuns * 6, max_try: 1, not_success: 0 });

  const lines = fs.readFileSync(sideEffects, 'utf8').trim().split('\n');
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1);
  expect(twice, 'bash side effects executed more than once').to.deep.equal([]);
  const expectedLines = runs.flatMap((r) => [...PARALLEL, 'join'].map((task) => `${r.run_id} ${task} 1`)).sort();
  expect([...lines].sort()).to.deep.equal(expectedLines);
}

describe('resilience: two schedulers at once', function () {
  this.timeout(60_000);
  let h: Harness;
  let dir: string;
  const procs = new Procs();

  before(async () => {
    h = await createHarness({ env: { UPDRAFT_ZOMBIE_THRESHOLD: '5', UPDRAFT_QUEUED_CHECK_AFTER: '2' } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-res-'));
  });
  after(async () => {
    await procs.killAll();
    await h.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('two in-process schedulers: catchup over 10 days plus manual triggers, each run and each try once', async () => {
    const effects = path.join(dir, 'in-process.txt');
    h.writeDag('twin_sched.ts', catchupDag('twin_sched', effects));
    expect(await h.processDags()).to.equal(0);
    const manual = [new Date('2026-03-01T00:00:00Z'), new Date('2026-03-02T00:00:00Z'), new Date('2026-03-03T00:00:00Z')];
    const [s1, s2] = [await h.startScheduler(), await h.startScheduler()];
    await h.startWorker({ concurrency: 16 });
    await Promise.all(manual.map((d) => h.trigger({ dag_id: 'twin_sched', logical_date: d })));
    await waitForAllRuns(h, 'twin_sched', 10, 40_000);
    await s1.stop();
    await s2.stop();
    await assertEachRunAndTryOnce(h, 'twin_sched', effects, manual);
    expect(await stuckTaskInstances(h)).to.deep.equal([]);
  });

  it('two `updraft scheduler` processes: each run and each try once; both exit 0 on SIGTERM', async () => {
    const effects = path.join(dir, 'cli.txt');
    h.writeDag('twin_cli.ts', catchupDag('twin_cli', effects));
    expect(await h.processDags()).to.equal(0);
    const a = procs.spawnCli(['scheduler'], h.env);
    const b = procs.spawnCli(['scheduler'], h.env);
    const manual = [new Date('2026-04-01T00:00:00Z'), new Date('2026-04-02T00:00:00Z')];
    await Promise.all(manual.map((d) => h.trigger({ dag_id: 'twin_cli', logical_date: d })));
    await waitFor('both scheduler processes registered', async () => {
      const [r] = await rows<{ n: number }>(h.db, `select count(*)::int as n from component
        where kind = 'scheduler' and state = 'running' and pid = any(?)`, [[a.pid, b.pid]]);
      return r?.n === 2;
    }, 15_000);
    await waitForAllRuns(h, 'twin_cli', 10, 40_000).catch((err: Error) => {
      throw new Error(`${err.message}\nscheduler a (exited: ${a.done()}):\n${a.output()}\nscheduler b (exited: ${b.done()}):\n${b.output()}`);
    });
    expect([a.done(), b.done()], 'both schedulers still running').to.deep.equal([false, false]);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    const [ea, eb] = await Promise.all([exitWithin(a, 10_000), exitWithin(b, 10_000)]);
    expect([ea.code, eb.code], `scheduler output:\n${a.output()}\n${b.output()}`).to.deep.equal([0, 0]);
    await assertEachRunAndTryOnce(h, 'twin_cli', effects, manual);
    expect(await stuckTaskInstances(h)).to.deep.equal([]);
  });
});

describe('resilience: Redis loses its jobs', function () {
  this.timeout(30_000);
  let redis: PrivateRedis;
  let h: Harness | null = null;
  let admin: Redis | null = null;

  before(async () => { redis = await startPrivateRedis(); });
  after(async () => { await redis.stop(); });
  beforeEach(async () => {
    h = await createHarness({ env: { UPDRAFT_REDIS_URL: redis.url, UPDRAFT_QUEUED_CHECK_AFTER: '1', UPDRAFT_ZOMBIE_THRESHOLD: '5' } });
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  });
  afterEach(async () => {
    admin?.disconnect();
    await h?.stop();
    h = null;
  });

  const chainYaml = (dagId: string) => `
dag_id: ${dagId}
schedule: null
start_date: "2026-01-01"
tasks:
  - { id: a1, type: bash, bash_command: "sleep 1.5; echo a1" }
  - { id: a2, type: bash, bash_command: "echo a2" }
  - { id: b, type: bash, depends_on: [a1, a2], bash_command: "sleep 0.3; echo b" }
  - { id: c, type: bash, depends_on: [b], bash_command: "echo c" }
`;

  it('FLUSHALL while one task runs and another waits in the queue: the run still succeeds', async () => {
    const hh = h!;
    hh.writeDag('flush_all.yaml', chainYaml('flush_all'));
    expect(await hh.processDags()).to.equal(0);
    await hh.startScheduler();
    // Concurrency 1: one root task runs, the other's job waits in Redis.
    await hh.startWorker({ concurrency: 1 });
    const run = await hh.trigger({ dag_id: 'flush_all' });
    const states = await waitFor('one root task running and the other queued', async () => {
      const s = await hh.taskStates('flush_all', run.run_id);
      return [s.a1, s.a2].sort().join() === 'queued,running' ? s : null;
    }, 10_000, 10);
    const queuedTask = states.a1 === 'queued' ? 'a1' : 'a2';
    const queued = (await taskInstance(hh, 'flush_all', run.run_id, queuedTask))!;
    const job = { ti_id: queued.id, try_number: queued.try_number, dag_id: 'flush_all', run_id: run.run_id, task_id: queuedTask, map_index: -1, queue: 'default' };
    expect(await hh.queues.hasJob(job), 'the queued task has its job in Redis before the flush').to.equal(true);
    expect(await admin!.flushall()).to.equal('OK');
    expect(await admin!.dbsize()).to.equal(0);
    expect(await hh.waitForRun('flush_all', run.run_id, 20_000)).to.equal('success');
    expect(await hh.taskStates('flush_all', run.run_id)).to.deep.equal({ a1: 'success', a2: 'success', b: 'success', c: 'success' });
    // The lost job came back as the same try, not as a new one.
    const t = await tries(hh, queued.id);
    expect(t.map((x) => [x.try_number, x.state])).to.deep.equal([[1, 'success']]);
    expect(await stuckTaskInstances(hh)).to.deep.equal([]);
  });

  it('FLUSHDB while a task is queued and no worker runs: a worker started later still runs it', async () => {
    const hh = h!;
    hh.writeDag('flush_db.yaml', chainYaml('flush_db'));
    expect(await hh.processDags()).to.equal(0);
    await hh.startScheduler();
    const run = await hh.trigger({ dag_id: 'flush_db' });
    await waitFor('both root tasks queued', async () => {
      const s = await hh.taskStates('flush_db', run.run_id);
      return s.a1 === 'queued' && s.a2 === 'queued';
    });
    expect(await admin!.flushdb()).to.equal('OK');
    expect(await admin!.dbsize()).to.equal(0);
    // Let the queued tasks age past UPDRAFT_QUEUED_CHECK_AFTER before a worker exists.
    await new Promise((r) => setTimeout(r, 1500));
    await hh.startWorker();
    expect(await hh.waitForRun('flush_db', run.run_id, 20_000)).to.equal('success');
    const a1 = (await taskInstance(hh, 'flush_db', run.run_id, 'a1'))!;
    expect(a1.try_number).to.equal(1);
    expect(await stuckTaskInstances(hh)).to.deep.equal([]);
  });

  it('FLUSHALL between hops of a chain (a downstream job just queued by a worker): the run still succeeds', async () => {
    const hh = h!;
    hh.writeDag('flush_hops.yaml', `
dag_id: flush_hops
schedule: null
start_date: "2026-01-01"
tasks:
  - { id: s1, type: bash, bash_command: "sleep 0.4" }
  - { id: s2, type: bash, depends_on: [s1], bash_command: "sleep 0.4" }
  - { id: s3, type: bash, depends_on: [s2], bash_command: "sleep 0.4" }
  - { id: s4, type: bash, depends_on: [s3], bash_command: "sleep 0.4" }
  - { id: s5, type: bash, depends_on: [s4], bash_command: "sleep 0.4" }
`);
    expect(await hh.processDags()).to.equal(0);
    await hh.startScheduler();
    await hh.startWorker();
    const run = await hh.trigger({ dag_id: 'flush_hops' });
    await waitFor('s1 running', async () => (await hh.taskStates('flush_hops', run.run_id)).s1 === 'running', 10_000, 10);
    // Flush repeatedly for a while: jobs vanish whether waiting, active or just added.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      await admin!.flushall();
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(await hh.waitForRun('flush_hops', run.run_id, 20_000)).to.equal('success');
    expect(Object.values(await hh.taskStates('flush_hops', run.run_id))).to.deep.equal(Array(5).fill('success'));
    expect(await stuckTaskInstances(hh)).to.deep.equal([]);
  });
});
