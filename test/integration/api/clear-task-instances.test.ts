/**
 * POST /dags/{dag_id}/clearTaskInstances: Airflow's defaults (dry_run and only_failed
 * true), task ids widened to upstream/downstream, `[task_id, map_index]` pairs, date
 * bounds and include_past/include_future, dag_run_id, prevent_running_task (409),
 * reset_dag_runs, and the 4xx answers. Every response is checked against Airflow's
 * OpenAPI document; a real clear leaves an event_log row.
 */
import { expect } from 'chai';
import { rows } from '../../../core/transitions/sql.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec } from '../../support/api.ts';

const PATH = '/api/v2/dags/{dag_id}/clearTaskInstances';
const URL = '/api/v2/dags/ct/clearTaskInstances';

describe('api: clearTaskInstances', function () {
  this.timeout(60_000);
  let h: Harness;
  let api: ApiClient;
  const picked = (res: { body: { task_instances: Array<{ dag_run_id: string; task_id: string }> } }) =>
    res.body.task_instances.map((t) => `${t.dag_run_id}/${t.task_id}`);
  const setState = (runId: string, taskId: string, state: string | null) =>
    h.db.raw('update task_instance set state = ? where run_id = ? and task_id = ?', [state, runId, taskId]);

  before(async () => {
    h = await Harness.create();
    h.writeDag('ct.ts', `
import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'ct', schedule: null, start_date: '2026-01-01' });
const a = new EmptyOperator({ task_id: 'a', dag });
const b = new EmptyOperator({ task_id: 'b', dag });
const c = new EmptyOperator({ task_id: 'c', dag });
new EmptyOperator({ task_id: 'd', dag });
a.rshift(b); b.rshift(c);
`);
    expect(await h.processDags()).to.equal(0);
    api = await ApiClient.start(h);
    await h.trigger({ dag_id: 'ct', run_id: 'r1', logical_date: new Date('2026-05-01T00:00:00Z') });
    await h.trigger({ dag_id: 'ct', run_id: 'r2', logical_date: new Date('2026-05-02T00:00:00Z') });
    await h.db.raw(`update dag_run set state = 'failed' where dag_id = 'ct'`);
    await setState('r1', 'a', 'success');
    await setState('r1', 'b', 'failed');
    await setState('r1', 'c', 'upstream_failed');
    await setState('r1', 'd', 'running');
    await setState('r2', 'a', 'failed');
  });
  after(async () => { await h.stop(); });

  it('by default a dry run of every failed instance of the DAG, changing nothing', async () => {
    const res = await api.post(URL, {}, 'user');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'post', PATH);
    expect(picked(res)).to.deep.equal(['r1/b', 'r1/c', 'r2/a']);
    expect(res.body.total_entries).to.equal(3);
    expect(await h.taskStates('ct', 'r1')).to.include({ b: 'failed', c: 'upstream_failed' });
    expect(await rows(h.db, `select 1 from event_log where event = 'post_clear_task_instances'`)).to.have.length(0);
  });

  it('task ids widen to relatives; pairs narrow to map indexes; dates and include_past/future bound the runs', async () => {
    const down = await api.post(URL, { dag_run_id: 'r1', task_ids: ['a'], include_downstream: true, only_failed: false });
    expectAirflowSpec(down, 'post', PATH);
    expect(picked(down)).to.deep.equal(['r1/a', 'r1/b', 'r1/c']);
    const up = await api.post(URL, { dag_run_id: 'r1', task_ids: ['c'], include_upstream: true, only_failed: false });
    expect(picked(up)).to.deep.equal(['r1/a', 'r1/b', 'r1/c']);
    const pair = await api.post(URL, { task_ids: [['b', -1]], only_failed: false });
    expect(picked(pair)).to.deep.equal(['r1/b', 'r2/b']);
    const otherIndex = await api.post(URL, { task_ids: [['b', 3]], only_failed: false });
    expect(otherIndex.body.total_entries).to.equal(0);
    const dated = await api.post(URL, { start_date: '2026-05-02T00:00:00Z' });
    expect(picked(dated)).to.deep.equal(['r2/a']);
    const past = await api.post(URL, { start_date: '2026-05-02T00:00:00Z', include_past: true });
    expect(picked(past)).to.deep.equal(['r1/b', 'r1/c', 'r2/a']);
    const running = await api.post(URL, { only_running: true, only_failed: false });
    expect(picked(running)).to.deep.equal(['r1/d']);
  });

  it('prevent_running_task refuses a selection with a running instance (409)', async () => {
    const res = await api.post(URL, { dag_run_id: 'r1', only_failed: false, prevent_running_task: true, dry_run: false });
    expect(res.status).to.equal(409);
    expectAirflowSpec(res, 'post', PATH);
    expect(res.body.detail).to.contain('r1/d');
    expect((await h.taskStates('ct', 'r1')).d).to.equal('running');
  });

  it('a real clear resets the instances and re-queues the run; reset_dag_runs=false leaves the run alone', async () => {
    const res = await api.post(URL, { dry_run: false, dag_run_id: 'r1' }, 'user');
    expectAirflowSpec(res, 'post', PATH);
    expect(picked(res)).to.deep.equal(['r1/b', 'r1/c']);
    expect(res.body.task_instances.every((t: { state: unknown }) => t.state === null)).to.equal(true);
    expect(await h.taskStates('ct', 'r1')).to.deep.equal({ a: 'success', b: null, c: null, d: 'running' });
    const [r1] = await rows<{ state: string }>(h.db, `select state from dag_run where run_id = 'r1'`);
    expect(r1!.state).to.equal('queued');
    const [event] = await rows<{ owner: string; run_id: string }>(h.db,
      `select owner, run_id from event_log where event = 'post_clear_task_instances'`);
    expect(event).to.deep.equal({ owner: 'user', run_id: 'r1' });

    const keep = await api.post(URL, { dry_run: false, dag_run_id: 'r2', reset_dag_runs: false });
    expect(picked(keep)).to.deep.equal(['r2/a']);
    const [r2] = await rows<{ state: string }>(h.db, `select state from dag_run where run_id = 'r2'`);
    expect(r2!.state).to.equal('failed');
    expect((await h.taskStates('ct', 'r2')).a).to.equal(null);
  });

  it('unknown DAG or run is a 404, past/future with a run a 400, bad bodies 422, viewers 403', async () => {
    const noDag = await api.post('/api/v2/dags/nope/clearTaskInstances', {});
    expect(noDag.status).to.equal(404);
    expectAirflowSpec(noDag, 'post', PATH);
    expect(noDag.body.detail).to.equal('DAG nope not found');
    const noRun = await api.post(URL, { dag_run_id: 'ghost' });
    expect(noRun.status).to.equal(404);
    expect(noRun.body.detail).to.equal('Dag Run id ghost not found in dag ct');
    const both = await api.post(URL, { dag_run_id: 'r1', include_future: true });
    expect(both.status).to.equal(400);
    for (const bad of [{ task_ids: 'a' }, { task_ids: [['a']] }, { dry_run: 'no' }, { start_date: 'monday' }, { colour: 'red' }]) {
      const res = await api.post(URL, bad);
      expect(res.status, JSON.stringify(bad)).to.equal(422);
      expectAirflowSpec(res, 'post', PATH);
    }
    const injection = await api.post(URL, { task_ids: ["a' or 1=1 --"], dag_run_id: "r1' or '1'='1" });
    expect(injection.status).to.equal(404);
    const viewer = await api.post(URL, {}, 'viewer');
    expect(viewer.status).to.equal(403);
    expectAirflowSpec(viewer, 'post', PATH);
    expect((await api.post(URL, {}, null)).status).to.equal(401);
  });
});
