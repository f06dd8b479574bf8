/**
 * Data-aware scheduling on real PostgreSQL and Redis, scheduler and worker in-process:
 * outlet tasks record asset events, a DAG scheduled on two assets runs only once both
 * were updated, once per update set, not while paused, within max_active_runs; two
 * schedulers never create two runs from one update set; `dags test` records events too.
 */
import { expect } from 'chai';
import { recordAssetEvents } from '../../core/transitions/asset-events.ts';
import { notifyScheduler } from '../../core/transitions/notify.ts';
import { rows } from '../../core/transitions/sql.ts';
import { createAssetRuns } from '../../scheduler/create-asset-runs.ts';
import { runCli } from '../support/cli.ts';
import type { Harness } from '../support/harness.ts';
import { createHarness, sample, sleep, waitFor, waitForAllRuns } from '../support/sched-helpers.ts';

const A = 's3://bucket/a.csv';
const B = 'postgres://db/analytics.b';

/** A manual-only DAG whose tasks each update the given assets (one task per entry). */
function producer(dagId: string, outlets: Array<string | null>, command = 'echo produced'): string {
  const tasks = outlets.map((o, i) => `new BashOperator({ task_id: 't${i}', dag, bash_command: '${command}', ` +
    `outlets: ${o === null ? '[]' : `[new Asset('${o}')]`} });`).join('\n');
  return `
import { Asset, BashOperator, DAG } from 'updraft';
const dag = new DAG({ dag_id: '${dagId}', schedule: null, start_date: '2026-01-01' });
${tasks}
`;
}

function consumer(dagId: string, uris: string[], extra = '', command = 'echo consumed'): string {
  return `
import { Asset, BashOperator, DAG } from 'updraft';
const dag = new DAG({ dag_id: '${dagId}', schedule: [new Asset('${uris[0]}'), ${uris.slice(1).map((u) => `'${u}'`).join(', ')}],
  start_date: '2026-01-01', ${extra} });
new BashOperator({ task_id: 'use', dag, bash_command: '${command}' });
`;
}

interface RunRow { id: number; run_id: string; run_type: string; state: string; logical_date: Date | null; data_interval_start: Date | null; triggered_by: string | null }

const runsOf = (h: Harness, dagId: string) => rows<RunRow>(h.db, `select id, run_id, run_type, state, logical_date,
  data_interval_start, triggered_by from dag_run where dag_id = ? order by id`, [dagId]);

/** URIs and source tasks of the events a run consumed, in event order. */
const consumedBy = (h: Harness, runId: number) => rows<{ uri: string; source: string }>(h.db, `
  select a.uri, e.source_dag_id || '.' || e.source_task_id as source
  from dag_run_asset_event l join asset_event e on e.id = l.event_id join asset a on a.id = e.asset_id
  where l.dag_run_id = ? order by e.id`, [runId]);

async function produce(h: Harness, dagId: string): Promise<string> {
  const run = await h.trigger({ dag_id: dagId });
  const state = await h.waitForRun(dagId, run.run_id);
  return state;
}

describe('assets: outlets, asset events and asset-triggered runs', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await createHarness();
    h.writeDag('produce_a.ts', producer('produce_a', [A]));
    h.writeDag('produce_b.ts', producer('produce_b', [B]));
    h.writeDag('produce_both.ts', producer('produce_both', [A, B, null]));
    h.writeDag('produce_fail.ts', producer('produce_fail', [A], 'exit 1'));
    h.writeDag('consume_ab.ts', consumer('consume_ab', [A, B]));
    h.writeDag('consume_b_paused.ts', consumer('consume_b_paused', [B]));
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.db.raw(`update dag set is_paused = true where dag_id = 'consume_b_paused'`);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => { await h.stop(); });

  it('an asset-scheduled DAG has no time-based next run and lists its assets as its schedule', async () => {
    const [dag] = await rows<{ next_dagrun: Date | null; timetable_description: string }>(h.db,
      `select next_dagrun, timetable_description from dag where dag_id = 'consume_ab'`);
    expect(dag).to.deep.equal({ next_dagrun: null, timetable_description: `Asset(${A}, ${B})` });
  });

  it('a succeeding outlet task records an event; a failing one records none', async () => {
    expect(await produce(h, 'produce_fail')).to.equal('failed');
    expect(await rows(h.db, `select id from asset_event where source_dag_id = 'produce_fail'`)).to.deep.equal([]);
    expect(await produce(h, 'produce_a')).to.equal('success');
    const events = await rows<{ uri: string; source_task_id: string; source_map_index: number; extra: unknown }>(h.db, `
      select a.uri, e.source_task_id, e.source_map_index, e.extra from asset_event e join asset a on a.id = e.asset_id
      where e.source_dag_id = 'produce_a'`);
    expect(events).to.deep.equal([{ uri: A, source_task_id: 't0', source_map_index: -1, extra: {} }]);
  });

  it('the consumer waits until BOTH assets are updated, then runs once, without a logical date', async () => {
    // A was updated by the previous test: one asset of two is not enough.
    await sleep(800);
    expect(await runsOf(h, 'consume_ab'), 'runs after only A was updated').to.deep.equal([]);

    expect(await produce(h, 'produce_b')).to.equal('success');
    await waitForAllRuns(h, 'consume_ab', 1);
    const [run] = await runsOf(h, 'consume_ab');
    expect(run).to.deep.include({ run_type: 'asset_triggered', state: 'success', logical_date: null,
      data_interval_start: null, triggered_by: 'asset' });
    expect(run!.run_id).to.match(/^asset_triggered__\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(await consumedBy(h, run!.id)).to.deep.equal([{ uri: A, source: 'produce_a.t0' }, { uri: B, source: 'produce_b.t0' }]);
    expect(await rows(h.db, `select * from asset_dag_run_queue where target_dag_id = 'consume_ab'`)).to.deep.equal([]);
  });

  it('several updates of one asset before the other catches up give ONE run, consuming them all', async () => {
    expect(await produce(h, 'produce_a')).to.equal('success');
    expect(await produce(h, 'produce_a')).to.equal('success');
    await sleep(600);
    expect(await runsOf(h, 'consume_ab')).to.have.length(1);
    expect(await produce(h, 'produce_b')).to.equal('success');
    await waitForAllRuns(h, 'consume_ab', 2);
    await sleep(800); // no further run may follow from the same update set
    const runs = await runsOf(h, 'consume_ab');
    expect(runs).to.have.length(2);
    expect((await consumedBy(h, runs[1]!.id)).map((e) => e.uri)).to.deep.equal([A, A, B]);
  });

  it('one producer run updating both assets (two outlet tasks) triggers one run', async () => {
    expect(await produce(h, 'produce_both')).to.equal('success');
    await waitForAllRuns(h, 'consume_ab', 3);
    await sleep(600);
    const runs = await runsOf(h, 'consume_ab');
    expect(runs).to.have.length(3);
    // t0 and t1 run side by side: their events may come in either order.
    const consumed = (await consumedBy(h, runs[2]!.id)).sort((x, y) => x.source.localeCompare(y.source));
    expect(consumed).to.deep.equal([{ uri: A, source: 'produce_both.t0' }, { uri: B, source: 'produce_both.t1' }]);
  });

  it('a paused consumer gets no run, and (as in Airflow) no backlog from updates while it was paused', async () => {
    // produce_b already ran twice while consume_b_paused was paused (above).
    expect(await runsOf(h, 'consume_b_paused')).to.deep.equal([]);
    expect(await rows(h.db, `select * from asset_dag_run_queue where target_dag_id = 'consume_b_paused'`)).to.deep.equal([]);
    await h.db.raw(`update dag set is_paused = false where dag_id = 'consume_b_paused'`);
    await sleep(800);
    expect(await runsOf(h, 'consume_b_paused'), 'runs right after unpausing').to.deep.equal([]);
    expect(await produce(h, 'produce_b')).to.equal('success');
    await waitForAllRuns(h, 'consume_b_paused', 1);
  });
});

describe('assets: max_active_runs, wake-up and dags test', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    // A long idle sleep: a consumer run that appears quickly was woken by the asset event.
    h = await createHarness({ env: { UPDRAFT_SCHEDULER_IDLE_SLEEP: '30' } });
    h.writeDag('produce_a.ts', producer('produce_a', [A]));
    h.writeDag('consume_a_slow.ts', consumer('consume_a_slow', [A], 'max_active_runs: 1,', 'sleep 1'));
    expect(await h.processDags(), 'import errors').to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => { await h.stop(); });

  it('the event wakes an idle scheduler: the consumer run starts within seconds', async () => {
    await sleep(300); // let the scheduler go idle
    const started = Date.now();
    expect(await produce(h, 'produce_a')).to.equal('success');
    await waitFor('a consumer run', async () => (await runsOf(h, 'consume_a_slow')).length > 0, 5_000);
    expect(Date.now() - started).to.be.below(5_000);
  });

  it('max_active_runs 1: a second update set while the first run is busy waits queued, then runs', async () => {
    const sampler = sample(async () => (await rows<{ running: number }>(h.db,
      `select count(*)::int as running from dag_run where dag_id = 'consume_a_slow' and state = 'running'`))[0]!.running);
    expect(await produce(h, 'produce_a')).to.equal('success');
    await waitFor('a queued second run', async () =>
      (await runsOf(h, 'consume_a_slow')).some((r) => r.state === 'queued'), 5_000);
    // A run's end does not wake the scheduler (its idle sleep is 30 s here): poke it, as
    // a trigger would, so the queued run is started by a pass rather than a timeout.
    await waitFor('the second run to finish', async () => {
      await notifyScheduler(h.db);
      return (await runsOf(h, 'consume_a_slow')).filter((r) => r.state === 'success').length === 2;
    }, 20_000, 200);
    expect(Math.max(...await sampler.stop()), 'consumer runs running at once').to.equal(1);
  });

  it('`updraft dags test` records the outlet events of the tasks it runs', async () => {
    const res = await runCli(['dags', 'test', 'produce_a'], h.env);
    expect(res.code, res.stderr).to.equal(0);
    const events = await rows<{ source_run_id: string }>(h.db,
      `select source_run_id from asset_event where source_run_id like 'manual__test__%'`);
    expect(events).to.have.length(1);
  });
});

describe('assets: two schedulers claiming the same update set', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await createHarness();
    h.writeDag('consume_ab.ts', consumer('consume_ab', [A, B]));
    expect(await h.processDags(), 'import errors').to.equal(0);
  });
  after(async () => { await h.stop(); });

  it('concurrent passes create exactly one run per complete update set, and every event is consumed once', async () => {
    const src = { dag_id: 'p', run_id: 'r', task_id: 't', map_index: -1 };
    let total = 0;
    for (let i = 0; i < 15; i++) {
      expect((await recordAssetEvents(h.db, src, [A])).queued).to.equal(1);
      // Only A: nobody may create a run yet.
      expect(await Promise.all([createAssetRuns(h.db), createAssetRuns(h.db)])).to.deep.equal([0, 0]);
      await recordAssetEvents(h.db, src, [B, A]);
      const created = await Promise.all([createAssetRuns(h.db), createAssetRuns(h.db), createAssetRuns(h.db)]);
      expect(created.reduce((x, y) => x + y, 0), `pass ${i}: ${JSON.stringify(created)}`).to.equal(1);
      total += 1;
    }
    const runs = await runsOf(h, 'consume_ab');
    expect(runs).to.have.length(total);
    expect(new Set(runs.map((r) => r.run_id)).size).to.equal(total);
    const [links] = await rows<{ events: number; linked: number; distinct_linked: number }>(h.db, `
      select (select count(*) from asset_event)::int as events, (select count(*) from dag_run_asset_event)::int as linked,
        (select count(distinct event_id) from dag_run_asset_event)::int as distinct_linked`);
    expect(links).to.deep.equal({ events: 45, linked: 45, distinct_linked: 45 });
  });
});
