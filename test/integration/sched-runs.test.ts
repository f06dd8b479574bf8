/**
 * Scheduling of DAG runs on real PostgreSQL and Redis, scheduler and worker in-process:
 * cron data intervals with and without catchup, paused DAGs, max_active_runs, and the
 * manual trigger's input errors.
 */
import { expect } from 'chai';
import { UserInputError } from '../../core/errors.ts';
import { rows } from '../../core/transitions/sql.ts';
import { ConflictError } from '../../core/transitions/trigger-run.ts';
import { Harness } from '../support/harness.ts';
import { airflowIso, createHarness, sample, sleep, utcMidnight, waitFor, waitForAllRuns } from '../support/sched-helpers.ts';

const DAY = 86_400_000;

interface RunRow {
  run_id: string; run_type: string; state: string; logical_date: Date | null;
  data_interval_start: Date | null; data_interval_end: Date | null; run_after: Date;
  start_date: Date | null; end_date: Date | null;
}

async function runsOf(h: Harness, dagId: string): Promise<RunRow[]> {
  return rows<RunRow>(h.db, `select run_id, run_type, state, logical_date, data_interval_start, data_interval_end,
    run_after, start_date, end_date from dag_run where dag_id = ? order by logical_date, id`, [dagId]);
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to be rejected, but it resolved');
}

function dailyDag(dagId: string, opts: { start: Date; catchup: boolean; extra?: string; body?: string }): string {
  return `
import { DAG, BashOperator, EmptyOperator, chain } from 'updraft';
const dag = new DAG({
  dag_id: '${dagId}', schedule: '@daily', start_date: '${opts.start.toISOString()}',
  catchup: ${opts.catchup}, ${opts.extra ?? ''}
});
${opts.body ?? `new EmptyOperator({ task_id: 'noop', dag });`}
void BashOperator; void chain;
`;
}

describe('scheduling: cron runs, catchup, max_active_runs, manual triggers', function () {
  this.timeout(60_000);
  let h: Harness;
  let marSampler: { stop(): Promise<Array<{ running: number; active: number }>> };

  before(async () => {
    h = await createHarness();
    h.writeDag('cron_catchup.ts', dailyDag('cron_catchup', { start: utcMidnight(3), catchup: true }));
    h.writeDag('cron_nocatchup.ts', dailyDag('cron_nocatchup', { start: utcMidnight(5), catchup: false }));
    h.writeDag('mar_one.ts', dailyDag('mar_one', {
      start: utcMidnight(5), catchup: true, extra: 'max_active_runs: 1,',
      body: `chain(new BashOperator({ task_id: 'a', dag, bash_command: 'sleep 0.15' }),
                   new BashOperator({ task_id: 'b', dag, bash_command: 'sleep 0.15' }));`,
    }));
    h.writeDag('cron_end.ts', dailyDag('cron_end', { start: utcMidnight(5), catchup: true, extra: `end_date: '${utcMidnight(3).toISOString()}',` }));
    h.writeDag('mar_manual.ts', `
import { DAG, BashOperator } from 'updraft';
const dag = new DAG({ dag_id: 'mar_manual', schedule: null, start_date: '2026-01-01', max_active_runs: 1 });
new BashOperator({ task_id: 'a', dag, bash_command: 'sleep 0.2' });
`);
    h.writeDag('manual_only.ts', `
import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'manual_only', schedule: null, start_date: '2026-01-01' });
new EmptyOperator({ task_id: 'noop', dag });
`);
    // Sampled from before the first run exists until all of mar_one's runs are done.
    marSampler = sample(async () => (await rows<{ running: number; active: number }>(h.db, `
      select count(*) filter (where state = 'running')::int as running,
             count(*) filter (where state in ('queued', 'running'))::int as active
      from dag_run where dag_id = 'mar_one'`))[0]!);
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => {
    await marSampler.stop();
    await h.stop();
  });

  it('@daily with catchup creates one scheduled run per complete day since start_date, with Airflow data intervals', async () => {
    const states = await waitForAllRuns(h, 'cron_catchup', 3);
    await sleep(600); // no further run may appear: today's interval has not ended
    const runs = await runsOf(h, 'cron_catchup');
    expect(runs.map((r) => r.run_id)).to.deep.equal([3, 2, 1].map((n) => `scheduled__${airflowIso(utcMidnight(n))}`));
    expect(Object.values(states)).to.deep.equal(['success', 'success', 'success']);
    for (const [i, r] of runs.entries()) {
      const start = utcMidnight(3 - i);
      expect(r.run_type, r.run_id).to.equal('scheduled');
      expect(r.logical_date?.toISOString(), r.run_id).to.equal(start.toISOString());
      expect(r.data_interval_start?.toISOString(), r.run_id).to.equal(start.toISOString());
      expect(r.data_interval_end?.toISOString(), r.run_id).to.equal(new Date(start.getTime() + DAY).toISOString());
      expect(r.run_after.toISOString(), r.run_id).to.equal(r.data_interval_end?.toISOString());
    }
    const [dag] = await rows<{ next_dagrun: Date; next_dagrun_create_after: Date }>(h.db,
      `select next_dagrun, next_dagrun_create_after from dag where dag_id = 'cron_catchup'`);
    expect(dag?.next_dagrun.toISOString()).to.equal(utcMidnight(0).toISOString());
    expect(dag?.next_dagrun_create_after.toISOString()).to.equal(utcMidnight(-1).toISOString());
  });

  it('@daily without catchup creates only the latest complete interval', async () => {
    await waitForAllRuns(h, 'cron_nocatchup', 1);
    await sleep(600);
    const runs = await runsOf(h, 'cron_nocatchup');
    expect(runs).to.have.length(1);
    expect(runs[0]!.run_id).to.equal(`scheduled__${airflowIso(utcMidnight(1))}`);
    expect(runs[0]!.logical_date?.toISOString()).to.equal(utcMidnight(1).toISOString());
    expect(runs[0]!.data_interval_start?.toISOString()).to.equal(utcMidnight(1).toISOString());
    expect(runs[0]!.data_interval_end?.toISOString()).to.equal(utcMidnight(0).toISOString());
    expect(runs[0]!.run_after.toISOString()).to.equal(utcMidnight(0).toISOString());
    expect(runs[0]!.state).to.equal('success');
  });

  it('max_active_runs 1: catchup runs execute one at a time, in logical-date order, and all succeed', async () => {
    const states = await waitForAllRuns(h, 'mar_one', 5, 30_000);
    const samples = await marSampler.stop();
    expect(Object.values(states)).to.deep.equal(Array(5).fill('success'));
    expect(Math.max(...samples.map((s) => s.running)), 'most runs running at once').to.equal(1);
    const runs = await runsOf(h, 'mar_one');
    const byStart = [...runs].sort((a, b) => a.start_date!.getTime() - b.start_date!.getTime());
    expect(byStart.map((r) => r.run_id), 'runs start in logical-date order').to.deep.equal(runs.map((r) => r.run_id));
    for (let i = 1; i < byStart.length; i++) {
      expect(byStart[i]!.start_date!.getTime(), `${byStart[i]!.run_id} starts after the previous run ended`)
        .to.be.at.least(byStart[i - 1]!.end_date!.getTime());
    }
  });

  it('catchup stops at end_date: the last run is the interval starting on end_date', async () => {
    await waitForAllRuns(h, 'cron_end', 3);
    await sleep(600);
    expect((await runsOf(h, 'cron_end')).map((r) => r.run_id)).to.deep.equal([5, 4, 3].map((n) => `scheduled__${airflowIso(utcMidnight(n))}`));
    const [dag] = await rows<{ next_dagrun: Date | null }>(h.db, `select next_dagrun from dag where dag_id = 'cron_end'`);
    expect(dag?.next_dagrun).to.equal(null);
  });

  it('max_active_runs 1 with manual triggers: extra runs wait in queued and run one at a time', async () => {
    const sampler = sample(async () => (await rows<{ running: number; queued: number }>(h.db, `
      select count(*) filter (where state = 'running')::int as running, count(*) filter (where state = 'queued')::int as queued
      from dag_run where dag_id = 'mar_manual'`))[0]!);
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await h.trigger({ dag_id: 'mar_manual', run_id: `m${i}` }));
    for (const r of runs) expect(await h.waitForRun('mar_manual', r.run_id)).to.equal('success');
    const samples = await sampler.stop();
    expect(Math.max(...samples.map((s) => s.running)), 'runs running at once').to.equal(1);
    expect(Math.max(...samples.map((s) => s.queued)), 'runs seen waiting in queued').to.be.at.least(1);
    const rs = await rows<{ run_id: string; start_date: Date; end_date: Date }>(h.db,
      `select run_id, start_date, end_date from dag_run where dag_id = 'mar_manual' order by start_date`);
    expect(rs.map((r) => r.run_id), 'runs start in trigger order').to.deep.equal(['m0', 'm1', 'm2']);
    for (let i = 1; i < rs.length; i++) expect(rs[i]!.start_date.getTime()).to.be.at.least(rs[i - 1]!.end_date.getTime());
  });

  it('a manual trigger with a duplicate run_id or logical date is a ConflictError; a conf that is not an object is a UserInputError', async () => {
    const first = await h.trigger({ dag_id: 'manual_only', run_id: 'my_run', logical_date: new Date('2026-03-01T00:00:00Z') });
    expect(first.run_id).to.equal('my_run');
    expect(first.run_type).to.equal('manual');

    const dupId = await rejection(h.trigger({ dag_id: 'manual_only', run_id: 'my_run', logical_date: new Date('2026-03-02T00:00:00Z') }));
    expect(dupId).to.be.instanceOf(ConflictError);
    expect(dupId.message).to.include('my_run');
    const dupDate = await rejection(h.trigger({ dag_id: 'manual_only', run_id: 'other_run', logical_date: new Date('2026-03-01T00:00:00Z') }));
    expect(dupDate).to.be.instanceOf(ConflictError);

    for (const conf of ['{"a": 1}', [1, 2], 42, true]) {
      const err = await rejection(h.trigger({ dag_id: 'manual_only', conf }));
      expect(err, JSON.stringify(conf)).to.be.instanceOf(UserInputError);
      expect(err, JSON.stringify(conf)).not.to.be.instanceOf(ConflictError);
      expect(err.message).to.match(/conf/);
    }
    const withConf = await h.trigger({ dag_id: 'manual_only', conf: { a: 1 }, logical_date: new Date('2026-03-03T00:00:00Z') });
    expect(withConf.conf).to.deep.equal({ a: 1 });
    expect(withConf.run_id).to.equal('manual__2026-03-03T00:00:00+00:00');
    expect((await runsOf(h, 'manual_only')).map((r) => r.run_id)).to.deep.equal(['my_run', 'manual__2026-03-03T00:00:00+00:00']);
    expect(await h.waitForRun('manual_only', 'my_run')).to.equal('success');
  });
});

describe('scheduling: paused DAGs', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await createHarness({ env: { UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION: 'true' } });
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => { await h.stop(); });

  it('a DAG paused at creation gets no scheduled runs; its manual run stays queued until it is unpaused', async () => {
    h.writeDag('paused_dag.ts', dailyDag('paused_dag', { start: utcMidnight(2), catchup: true }));
    await h.processDags();
    const [dag] = await rows<{ is_paused: boolean }>(h.db, `select is_paused from dag where dag_id = 'paused_dag'`);
    expect(dag?.is_paused).to.equal(true);
    await sleep(800);
    expect(await runsOf(h, 'paused_dag'), 'runs of a paused DAG').to.deep.equal([]);

    const manual = await h.trigger({ dag_id: 'paused_dag', run_id: 'manual_while_paused' });
    await sleep(800);
    const [still] = await runsOf(h, 'paused_dag');
    expect(still?.run_id).to.equal('manual_while_paused');
    expect(still?.state).to.equal('queued');
    expect(await h.taskStates('paused_dag', manual.run_id)).to.deep.equal({ noop: null });

    await h.db.raw(`update dag set is_paused = false where dag_id = 'paused_dag'`);
    expect(await h.waitForRun('paused_dag', manual.run_id)).to.equal('success');
    // Unpaused, the catchup runs it had missed are created too.
    await waitForAllRuns(h, 'paused_dag', 3);
    const scheduled = (await runsOf(h, 'paused_dag')).filter((r) => r.run_type === 'scheduled').map((r) => r.run_id);
    expect(scheduled).to.deep.equal([2, 1].map((n) => `scheduled__${airflowIso(utcMidnight(n))}`));
  });

  it('pausing a DAG in the dag table holds its new manual runs in queued', async () => {
    await h.db.raw(`update dag set is_paused = true where dag_id = 'paused_dag'`);
    const run = await h.trigger({ dag_id: 'paused_dag', run_id: 'manual_after_repause' });
    await sleep(800);
    const [row] = await rows<{ state: string }>(h.db, `select state from dag_run where run_id = 'manual_after_repause'`);
    expect(row?.state).to.equal('queued');
    await h.db.raw(`update dag set is_paused = false where dag_id = 'paused_dag'`);
    expect(await h.waitForRun('paused_dag', run.run_id)).to.equal('success');
    await waitFor('no unfinished runs', async () => (await runsOf(h, 'paused_dag')).every((r) => r.state === 'success'));
  });
});

describe('scheduling: two installations in one process', function () {
  this.timeout(30_000);
  const hs: Harness[] = [];
  after(async () => { for (const x of hs) await x.stop(); });

  // Product bug: core/transitions/spec-cache.ts caches serialized DAGs by dag_version id
  // only, for the life of the process. Every database numbers its versions from 1, so a
  // process that talks to two databases (this test harness, a DB reset under a running
  // web server) builds runs of one DAG from another database's DAG structure.
  it('a manual run is built from its own database\'s DAG version, not a cached one with the same id', async () => {
    const a = await Harness.create(); hs.push(a);
    const b = await Harness.create(); hs.push(b);
    const sameId = 900_000_000 + Math.floor(Math.random() * 1_000_000);
    for (const x of [a, b]) await x.db.raw('select setval(\'dag_version_id_seq\', ?, false)', [sameId]);
    a.writeDag('first.ts', `import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'first', schedule: null, start_date: '2026-01-01' });
new EmptyOperator({ task_id: 'only_in_first', dag });`);
    b.writeDag('second.ts', `import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'second', schedule: null, start_date: '2026-01-01' });
new EmptyOperator({ task_id: 'b1', dag });
new EmptyOperator({ task_id: 'b2', dag });`);
    await a.processDags();
    await b.processDags();
    await a.trigger({ dag_id: 'first', run_id: 'r' });
    const run = await b.trigger({ dag_id: 'second', run_id: 'r' });
    expect(await b.taskStates('second', run.run_id)).to.deep.equal({ b1: null, b2: null });
  });
});
