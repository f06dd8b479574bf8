/**
 * DAG runs over the REST API: trigger (logical date given, null or absent; conf; note;
 * duplicates), list with filters, paging and ordering (also `~` and the batch list),
 * get, patch (state with Airflow's effect on task instances, note, update_mask),
 * clear, delete and wait. Every response is checked against Airflow's OpenAPI document,
 * and every change must leave an event_log row.
 */
import { expect } from 'chai';
import { rows } from '../../../core/transitions/sql.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec } from '../../support/api.ts';

const RUNS = '/api/v2/dags/{dag_id}/dagRuns';
const RUN = '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}';

describe('api: DAG runs', function () {
  this.timeout(60_000);
  let h: Harness;
  let api: ApiClient;
  const events = (event: string) => rows<{ owner: string; dag_id: string; run_id: string | null }>(h.db,
    'select owner, dag_id, run_id from event_log where event = ? order by id', [event]);
  const tiStates = async (dagId: string, runId: string) => h.taskStates(dagId, runId);

  before(async () => {
    h = await Harness.create();
    h.writeDag('runs_a.ts', `
import { BashOperator, DAG } from 'updraft';
const dag = new DAG({ dag_id: 'runs_a', schedule: '@daily', start_date: '2026-01-01', catchup: false });
const t1 = new BashOperator({ task_id: 't1', dag, bash_command: 'true' });
const t2 = new BashOperator({ task_id: 't2', dag, bash_command: 'true' });
const t3 = new BashOperator({ task_id: 't3', dag, bash_command: 'true' });
t1.rshift(t2); t2.rshift(t3);
`);
    h.writeDag('runs_b.ts', `
import { BashOperator, DAG } from 'updraft';
const dag = new DAG({ dag_id: 'runs_b', schedule: null, start_date: '2026-01-01' });
new BashOperator({ task_id: 'answer', dag, bash_command: 'sleep 0.3; echo 42' });
`);
    expect(await h.processDags()).to.equal(0);
    api = await ApiClient.start(h);
  });
  after(async () => { await h.stop(); });

  it('POST dagRuns triggers a run with run id, logical date, conf and note (200), logged as trigger_dag_run', async () => {
    const res = await api.post('/api/v2/dags/runs_a/dagRuns', {
      dag_run_id: 'first', logical_date: '2026-03-10T12:00:00Z', conf: { x: 1 }, note: 'by hand',
    }, 'user');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'post', RUNS);
    expect(res.body).to.include({ dag_run_id: 'first', dag_id: 'runs_a', state: 'queued', run_type: 'manual', note: 'by hand', triggered_by: 'rest_api' });
    expect(res.body.logical_date).to.equal('2026-03-10T12:00:00.000Z');
    // @daily: the interval the logical date falls in.
    expect(res.body.data_interval_start).to.equal('2026-03-09T00:00:00.000Z');
    expect(res.body.data_interval_end).to.equal('2026-03-10T00:00:00.000Z');
    expect(res.body.conf).to.deep.equal({ x: 1 });
    expect(res.body.dag_versions).to.have.length(1);
    expect(await events('trigger_dag_run')).to.deep.include({ owner: 'user', dag_id: 'runs_a', run_id: 'first' });
  });

  it('logical_date absent or null gives a run without one (Airflow 3); an explicit data interval is kept', async () => {
    const absent = await api.post('/api/v2/dags/runs_a/dagRuns', {});
    expectAirflowSpec(absent, 'post', RUNS);
    expect(absent.body.logical_date).to.equal(null);
    expect(absent.body.dag_run_id).to.match(/^manual__/);
    const nul = await api.post('/api/v2/dags/runs_a/dagRuns', { logical_date: null, dag_run_id: 'no-date' });
    expect(nul.status).to.equal(200);
    expect(nul.body.logical_date).to.equal(null);
    const withInterval = await api.post('/api/v2/dags/runs_a/dagRuns', {
      dag_run_id: 'interval', logical_date: '2026-02-01T00:00:00', data_interval_start: '2026-01-25T00:00:00Z',
      data_interval_end: '2026-02-01T00:00:00Z', run_after: '2026-02-02T00:00:00Z',
    });
    expectAirflowSpec(withInterval, 'post', RUNS);
    expect(withInterval.body).to.include({ data_interval_start: '2026-01-25T00:00:00.000Z', run_after: '2026-02-02T00:00:00.000Z' });
  });

  it('a duplicate run id or logical date is a 409; an unknown DAG a 404; bad bodies 422/400; viewer 403, no token 401', async () => {
    const dupId = await api.post('/api/v2/dags/runs_a/dagRuns', { dag_run_id: 'first' });
    expect(dupId.status).to.equal(409);
    expectAirflowSpec(dupId, 'post', RUNS);
    const dupDate = await api.post('/api/v2/dags/runs_a/dagRuns', { logical_date: '2026-03-10T12:00:00Z' });
    expect(dupDate.status).to.equal(409);
    const unknown = await api.post('/api/v2/dags/nope/dagRuns', {});
    expect(unknown.status).to.equal(404);
    expectAirflowSpec(unknown, 'post', RUNS);
    expect(unknown.body.detail).to.equal("DAG with dag_id: 'nope' not found");
    for (const bad of [{ conf: [1, 2] }, { conf: 'x' }, { surprise: 1 }, { logical_date: 'yesterday' },
      { logical_date: '2026-01-01T00:00:00Z', data_interval_start: '2026-01-01T00:00:00Z' }, [1]]) {
      const res = await api.post('/api/v2/dags/runs_a/dagRuns', bad);
      expect(res.status, JSON.stringify(bad)).to.equal(422);
      expectAirflowSpec(res, 'post', RUNS);
    }
    const malformed = await api.request('POST', '/api/v2/dags/runs_a/dagRuns', { rawBody: '{"conf": ' });
    expect(malformed.status).to.equal(400);
    expect((await api.post('/api/v2/dags/runs_a/dagRuns', {}, 'viewer')).status).to.equal(403);
    expect((await api.post('/api/v2/dags/runs_a/dagRuns', {}, null)).status).to.equal(401);
  });

  it('GET dagRuns pages, orders and filters; `~` spans DAGs; bad filters are a 4xx, never a 500', async () => {
    for (const day of ['01', '02', '03']) {
      await h.trigger({ dag_id: 'runs_b', run_id: `b-${day}`, logical_date: new Date(`2026-04-${day}T00:00:00Z`) });
    }
    const all = await api.get('/api/v2/dags/runs_a/dagRuns', 'viewer');
    expect(all.status).to.equal(200);
    expectAirflowSpec(all, 'get', RUNS);
    expect(all.body.total_entries).to.equal(4);
    const page = await api.get('/api/v2/dags/runs_b/dagRuns?limit=2&offset=1&order_by=-logical_date');
    expectAirflowSpec(page, 'get', RUNS);
    expect(page.body.total_entries).to.equal(3);
    expect(page.body.dag_runs.map((x: { dag_run_id: string }) => x.dag_run_id)).to.deep.equal(['b-02', 'b-01']);
    const ranged = await api.get('/api/v2/dags/runs_b/dagRuns?logical_date_gte=2026-04-02T00:00:00Z&logical_date_lt=2026-04-03T00:00:00Z');
    expect(ranged.body.dag_runs.map((x: { dag_run_id: string }) => x.dag_run_id)).to.deep.equal(['b-02']);
    const states = await api.get('/api/v2/dags/runs_b/dagRuns?state=success&state=failed');
    expect(states.body.total_entries).to.equal(0);
    const wildcard = await api.get('/api/v2/dags/~/dagRuns?run_type=manual&limit=100000');
    expectAirflowSpec(wildcard, 'get', RUNS);
    expect(wildcard.body.total_entries).to.equal(7);
    const pattern = await api.get('/api/v2/dags/~/dagRuns?dag_id_pattern=runs_b&run_id_pattern=-0');
    expect(pattern.body.total_entries).to.equal(3);
    const either = await api.get(`/api/v2/dags/~/dagRuns?run_id_pattern=${encodeURIComponent('B-01 | b-03')}`);
    expect(either.body.dag_runs.map((x: { dag_run_id: string }) => x.dag_run_id)).to.deep.equal(['b-01', 'b-03']);
    const injection = await api.get(`/api/v2/dags/~/dagRuns?run_id_pattern=${encodeURIComponent("' or 1=1 --")}`);
    expect(injection.status).to.equal(200);
    expect(injection.body.total_entries).to.equal(0);

    const unknown = await api.get('/api/v2/dags/nope/dagRuns');
    expect(unknown.status).to.equal(404);
    expectAirflowSpec(unknown, 'get', RUNS);
    expect(unknown.body.detail).to.equal('The Dag with ID: `nope` was not found');
    expect((await api.get('/api/v2/dags/runs_a/dagRuns?order_by=password')).status).to.equal(400);
    for (const q of ['state=bogus', 'logical_date_gte=soon', 'limit=-1', 'offset=x', "order_by=id;drop table dag_run"]) {
      const res = await api.get(`/api/v2/dags/runs_a/dagRuns?${q}`);
      expect(res.status, q).to.be.oneOf([400, 422]);
      if (res.status === 422) expectAirflowSpec(res, 'get', RUNS);
    }
    expect((await api.get('/api/v2/dags/runs_a/dagRuns', null)).status).to.equal(401);
  });

  it('POST dagRuns/list filters by body for `~` only; a viewer may use it', async () => {
    const res = await api.post('/api/v2/dags/~/dagRuns/list', { dag_ids: ['runs_b'], page_limit: 2, order_by: '-dag_run_id' }, 'viewer');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'post', '/api/v2/dags/{dag_id}/dagRuns/list');
    expect(res.body.total_entries).to.equal(3);
    expect(res.body.dag_runs.map((x: { dag_run_id: string }) => x.dag_run_id)).to.deep.equal(['b-03', 'b-02']);
    const dated = await api.post('/api/v2/dags/~/dagRuns/list', { logical_date_gte: '2026-04-03T00:00:00Z', states: ['queued'] });
    expect(dated.body.dag_runs.map((x: { dag_run_id: string }) => x.dag_run_id)).to.deep.equal(['b-03']);
    const notWildcard = await api.post('/api/v2/dags/runs_b/dagRuns/list', {});
    expect(notWildcard.status).to.equal(422);
    expectAirflowSpec(notWildcard, 'post', '/api/v2/dags/{dag_id}/dagRuns/list');
    expect((await api.post('/api/v2/dags/~/dagRuns/list', { states: ['bogus'] })).status).to.equal(422);
    expect((await api.post('/api/v2/dags/~/dagRuns/list', { order_by: 'nope' })).status).to.equal(400);
  });

  it('GET one run, or a 404 in Airflow\'s words', async () => {
    const res = await api.get('/api/v2/dags/runs_a/dagRuns/first', 'viewer');
    expectAirflowSpec(res, 'get', RUN);
    expect(res.body.dag_run_id).to.equal('first');
    const missing = await api.get('/api/v2/dags/runs_a/dagRuns/ghost');
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'get', RUN);
    expect(missing.body.detail).to.equal('The DagRun with dag_id: `runs_a` and run_id: `ghost` was not found');
  });

  it('PATCH state failed fails running task instances and skips unfinished ones; success marks every instance success', async () => {
    await h.db.raw(`update task_instance set state = 'running' where run_id = 'first' and task_id = 't1'`);
    const failed = await api.patch('/api/v2/dags/runs_a/dagRuns/first', { state: 'failed' }, 'user');
    expect(failed.status).to.equal(200);
    expectAirflowSpec(failed, 'patch', RUN);
    expect(failed.body.state).to.equal('failed');
    expect(failed.body.end_date).to.be.a('string');
    expect(await tiStates('runs_a', 'first')).to.deep.equal({ t1: 'failed', t2: 'skipped', t3: 'skipped' });
    expect(await events('patch_dag_run')).to.deep.include({ owner: 'user', dag_id: 'runs_a', run_id: 'first' });

    const success = await api.patch('/api/v2/dags/runs_a/dagRuns/first', { state: 'success' });
    expectAirflowSpec(success, 'patch', RUN);
    expect(success.body.state).to.equal('success');
    expect(await tiStates('runs_a', 'first')).to.deep.equal({ t1: 'success', t2: 'success', t3: 'success' });

    // update_mask limits the change to the named fields: the state here is ignored.
    const noted = await api.patch('/api/v2/dags/runs_a/dagRuns/first?update_mask=note', { state: 'queued', note: 'checked' });
    expect(noted.body).to.include({ state: 'success', note: 'checked' });
    const queued = await api.patch('/api/v2/dags/runs_a/dagRuns/first', { state: 'queued' });
    expect(queued.body).to.include({ state: 'queued', end_date: null });
  });

  it('PATCH refuses other states (422), unknown runs (404) and viewers (403)', async () => {
    const bad = await api.patch('/api/v2/dags/runs_a/dagRuns/first', { state: 'running' });
    expect(bad.status).to.equal(422);
    expectAirflowSpec(bad, 'patch', RUN);
    expect(bad.body.detail[0].loc).to.deep.equal(['body', 'state']);
    const missing = await api.patch('/api/v2/dags/runs_a/dagRuns/ghost', { state: 'failed' });
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'patch', RUN);
    const viewer = await api.patch('/api/v2/dags/runs_a/dagRuns/first', { note: 'x' }, 'viewer');
    expect(viewer.status).to.equal(403);
    expectAirflowSpec(viewer, 'patch', RUN);
  });

  it('POST clear: a dry run lists the task instances; a real one re-queues the run and resets them', async () => {
    await api.patch('/api/v2/dags/runs_a/dagRuns/interval', { state: 'failed' });
    await h.db.raw(`update task_instance set state = 'failed' where run_id = 'interval' and task_id = 't3'`);
    const dry = await api.post('/api/v2/dags/runs_a/dagRuns/interval/clear', { only_failed: true });
    expect(dry.status).to.equal(200);
    expectAirflowSpec(dry, 'post', `${RUN}/clear`);
    expect(dry.body.task_instances.map((t: { task_id: string }) => t.task_id)).to.deep.equal(['t3']);
    expect((await tiStates('runs_a', 'interval')).t3).to.equal('failed');
    const real = await api.post('/api/v2/dags/runs_a/dagRuns/interval/clear', { dry_run: false }, 'user');
    expectAirflowSpec(real, 'post', `${RUN}/clear`);
    expect(real.body).to.include({ dag_run_id: 'interval', state: 'queued' });
    expect(await tiStates('runs_a', 'interval')).to.deep.equal({ t1: null, t2: null, t3: null });
    expect(await events('clear_dag_run')).to.have.length(1);
    expect((await api.post('/api/v2/dags/runs_a/dagRuns/ghost/clear', {})).status).to.equal(404);
    expect((await api.post('/api/v2/dags/runs_a/dagRuns/interval/clear', { dry_run: 'yes' })).status).to.equal(422);
  });

  it('DELETE removes the run and its task instances (204), then 404', async () => {
    const res = await api.delete('/api/v2/dags/runs_a/dagRuns/no-date', 'user');
    expect(res.status).to.equal(204);
    expect((await api.get('/api/v2/dags/runs_a/dagRuns/no-date')).status).to.equal(404);
    expect(await rows(h.db, `select 1 from task_instance where run_id = 'no-date'`)).to.have.length(0);
    expect(await events('delete_dag_run')).to.deep.include({ owner: 'user', dag_id: 'runs_a', run_id: 'no-date' });
    const again = await api.delete('/api/v2/dags/runs_a/dagRuns/no-date');
    expect(again.status).to.equal(404);
    expectAirflowSpec(again, 'delete', RUN);
    expect((await api.delete('/api/v2/dags/runs_a/dagRuns/first', 'viewer')).status).to.equal(403);
  });

  it('GET wait streams NDJSON states until the run finishes, then the requested XCom results', async () => {
    await h.startScheduler();
    await h.startWorker();
    const run = await api.post('/api/v2/dags/runs_b/dagRuns', { dag_run_id: 'waited' });
    expect(run.status).to.equal(200);
    const res = await api.get('/api/v2/dags/runs_b/dagRuns/waited/wait?interval=0.1&result=answer');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/application\/x-ndjson/);
    const lines = res.text.trim().split('\n').map((l) => JSON.parse(l) as { state: string; results?: unknown });
    expect(lines.length).to.be.greaterThan(1);
    expect(lines[0]!.state).to.be.oneOf(['queued', 'running']);
    expect(lines.at(-1)).to.deep.equal({ state: 'success', results: { answer: '42' } });
    const missingInterval = await api.get('/api/v2/dags/runs_b/dagRuns/waited/wait');
    expect(missingInterval.status).to.equal(422);
    expectAirflowSpec(missingInterval, 'get', `${RUN}/wait`);
    expect((await api.get('/api/v2/dags/runs_b/dagRuns/waited/wait?interval=0')).status).to.equal(422);
    const missing = await api.get('/api/v2/dags/runs_b/dagRuns/ghost/wait?interval=1');
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'get', `${RUN}/wait`);
  });
});
