/**
 * /api/v2 task instances: list (one run and `~/~`), the batch list, get (unmapped and
 * mapped), listMapped, tries, dependencies, and PATCH with dry_run. One real run that
 * fails part-way (boom fails, after_boom is upstream_failed) with a task mapped over a
 * literal list; a paused DAG's run keeps its instances in state none.
 */
import { expect } from 'chai';
import { rows } from '../../../core/transitions/sql.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec } from '../../support/api.ts';

const RUN = 'manual__ti_api';
const BASE = `/api/v2/dags/ti_api/dagRuns/${RUN}/taskInstances`;

describe('api: task instances', function () {
  this.timeout(60_000);
  let h: Harness;
  let api: ApiClient;
  const taskIds = (res: { body: { task_instances: Array<{ task_id: string; map_index: number }> } }) =>
    res.body.task_instances.map((t) => (t.map_index >= 0 ? `${t.task_id}[${t.map_index}]` : t.task_id));

  before(async () => {
    h = await Harness.create();
    h.writeDag('ti_api.ts', `
import { DAG, task } from 'updraft';
const dag = new DAG({ dag_id: 'ti_api', schedule: null, start_date: '2026-01-01' });
const first = task({ task_id: 'first', dag }, () => 1);
const fan = task({ task_id: 'fan', dag }, (ctx, { n }) => Number(n) * 2).expand({ n: [1, 2, 3] });
const boom = task({ task_id: 'boom', dag }, () => { throw new Error('boom'); });
const after = task({ task_id: 'after_boom', dag }, () => 'ok');
first.rshift(fan); first.rshift(boom); boom.rshift(after);
`);
    h.writeDag('ti_idle.ts', `
import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'ti_idle', schedule: null, start_date: '2026-01-01' });
new EmptyOperator({ task_id: 'waiting', dag });
`);
    await h.processDags();
    await h.db('dag').where({ dag_id: 'ti_idle' }).update({ is_paused: true });
    await h.startScheduler();
    await h.startWorker();
    await h.trigger({ dag_id: 'ti_api', run_id: RUN });
    await h.trigger({ dag_id: 'ti_idle', run_id: 'idle_run' });
    expect(await h.waitForRun('ti_api', RUN)).to.equal('failed');
    api = await ApiClient.start(h);
  });
  after(async () => { await h.stop(); });

  it('lists a run\'s instances, mapped ones with their map_index, in Airflow\'s shape', async () => {
    const res = await api.get(BASE, 'viewer');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances');
    expect(res.body.total_entries).to.equal(6);
    expect(taskIds(res).sort()).to.deep.equal(['after_boom', 'boom', 'fan[0]', 'fan[1]', 'fan[2]', 'first']);
    const boom = res.body.task_instances.find((t: { task_id: string }) => t.task_id === 'boom');
    expect(boom).to.include({ state: 'failed', try_number: 1, dag_run_id: RUN, dag_id: 'ti_api', map_index: -1, pool: 'default_pool' });
    expect(boom.id).to.match(/^[0-9a-f-]{36}$/);
  });

  it('pages with limit/offset and orders with order_by (and refuses unknown fields)', async () => {
    const page = await api.get(`${BASE}?limit=2&offset=1&order_by=-map_index&order_by=task_id`);
    expectAirflowSpec(page, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances');
    expect(page.body.total_entries).to.equal(6);
    expect(taskIds(page)).to.deep.equal(['fan[1]', 'fan[0]']);
    const huge = await api.get(`${BASE}?limit=100000`);
    expect(huge.status).to.equal(200);
    expect(huge.body.task_instances).to.have.length(6);
    const bad = await api.get(`${BASE}?order_by=password`);
    expect(bad.status).to.equal(400);
    expectAirflowSpec(bad, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances');
    const negative = await api.get(`${BASE}?limit=-1`);
    expect(negative.status).to.equal(422);
    expectAirflowSpec(negative, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances');
  });

  it('filters by task_id, state (none = null), map_index, pool, dates and durations; bad values are 4xx, injections match nothing', async () => {
    const path = '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances';
    const failed = await api.get(`${BASE}?state=failed&state=upstream_failed`);
    expectAirflowSpec(failed, 'get', path);
    expect(taskIds(failed).sort()).to.deep.equal(['after_boom', 'boom']);
    const none = await api.get('/api/v2/dags/~/dagRuns/~/taskInstances?state=none');
    expectAirflowSpec(none, 'get', path);
    expect(none.body.task_instances.map((t: { dag_id: string; state: unknown }) => [t.dag_id, t.state])).to.deep.equal([['ti_idle', null]]);
    expect(taskIds(await api.get(`${BASE}?map_index=1&map_index=2`))).to.deep.equal(['fan[1]', 'fan[2]']);
    expect(taskIds(await api.get(`${BASE}?task_id=first`))).to.deep.equal(['first']);
    expect((await api.get(`${BASE}?pool=other_pool`)).body.total_entries).to.equal(0);
    // after_boom never started: no start date, no duration.
    expect((await api.get(`${BASE}?start_date_gte=2000-01-01T00:00:00Z&duration_gte=0`)).body.total_entries).to.equal(5);
    expect((await api.get(`${BASE}?duration_gt=3600`)).body.total_entries).to.equal(0);
    expect((await api.get(`${BASE}?end_date_lt=2000-01-01T00:00:00Z`)).body.total_entries).to.equal(0);
    const injected = await api.get(`${BASE}?task_id=${encodeURIComponent("' or 1=1 --")}&dag_id_pattern=${encodeURIComponent("%' or '1'='1")}`);
    expect(injected.status).to.equal(200);
    expect(injected.body.total_entries).to.equal(0);
    const badState = await api.get(`${BASE}?state=exploded`);
    expect(badState.status).to.equal(400);
    expect(badState.body.detail).to.match(/Invalid value for state/);
    const badDate = await api.get(`${BASE}?start_date_gte=yesterday`);
    expect(badDate.status).to.equal(422);
    expect(badDate.body.detail[0].loc).to.deep.equal(['query', 'start_date_gte']);
  });

  it('`~/~` lists every DAG\'s instances, with dag_id_pattern and run_id_pattern', async () => {
    const all = await api.get('/api/v2/dags/~/dagRuns/~/taskInstances');
    expectAirflowSpec(all, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances');
    expect(all.body.total_entries).to.equal(7);
    expect((await api.get('/api/v2/dags/~/dagRuns/~/taskInstances?dag_id_pattern=idle')).body.total_entries).to.equal(1);
    expect((await api.get('/api/v2/dags/~/dagRuns/~/taskInstances?run_id_pattern=idle_run|ti_api')).body.total_entries).to.equal(7);
    expect((await api.get('/api/v2/dags/ti_api/dagRuns/~/taskInstances')).body.total_entries).to.equal(6);
  });

  it('unknown DAGs and runs are 404s; no token is a 401', async () => {
    const noDag = await api.get('/api/v2/dags/nope/dagRuns/~/taskInstances');
    expect(noDag.status).to.equal(404);
    expectAirflowSpec(noDag, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances');
    expect(noDag.body.detail).to.equal('The Dag with ID: `nope` was not found');
    const noRun = await api.get('/api/v2/dags/ti_api/dagRuns/nope/taskInstances');
    expect(noRun.status).to.equal(404);
    expect((await api.get(BASE, null)).status).to.equal(401);
  });

  it('POST /dags/~/dagRuns/~/taskInstances/list filters in the body; 422 for unknown fields, 400 unless both ids are ~', async () => {
    const res = await api.post('/api/v2/dags/~/dagRuns/~/taskInstances/list', { dag_ids: ['ti_api'], state: ['success'], page_limit: 2 }, 'viewer');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'post', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/list');
    expect(res.body.total_entries).to.equal(4);
    expect(res.body.task_instances).to.have.length(2);
    const nulls = await api.post('/api/v2/dags/~/dagRuns/~/taskInstances/list', { state: [null], task_ids: ['waiting'] });
    expect(nulls.body.total_entries).to.equal(1);
    const bad = await api.post('/api/v2/dags/~/dagRuns/~/taskInstances/list', { dag_idz: ['x'] });
    expect(bad.status).to.equal(422);
    expectAirflowSpec(bad, 'post', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/list');
    expect((await api.post(`${BASE}/list`, {})).status).to.equal(400);
    expect((await api.request('POST', '/api/v2/dags/~/dagRuns/~/taskInstances/list', { rawBody: '{"dag_ids": [' })).status).to.equal(400);
  });

  it('gets one instance; a mapped task needs its map_index; listMapped lists the instances', async () => {
    const first = await api.get(`${BASE}/first`, 'viewer');
    expectAirflowSpec(first, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}');
    expect(first.body).to.include({ task_id: 'first', state: 'success', map_index: -1 });
    const mapped = await api.get(`${BASE}/fan`);
    expect(mapped.status).to.equal(404);
    expect(mapped.body.detail).to.match(/mapped, add the map_index/);
    const one = await api.get(`${BASE}/fan/2`);
    expectAirflowSpec(one, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}');
    expect(one.body).to.include({ task_id: 'fan', map_index: 2, state: 'success' });
    const missing = await api.get(`${BASE}/fan/9`);
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}');
    const list = await api.get(`${BASE}/fan/listMapped?order_by=-map_index`);
    expectAirflowSpec(list, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/listMapped');
    expect(list.body.task_instances.map((t: { map_index: number }) => t.map_index)).to.deep.equal([2, 1, 0]);
    expect((await api.get(`${BASE}/first/listMapped`)).body.detail).to.equal('Task id first is not mapped');
    expect((await api.get(`${BASE}/ghost/listMapped`)).status).to.equal(404);
  });

  it('tries: one per attempt, unmapped and mapped, with 404 for a try that did not happen', async () => {
    const tries = await api.get(`${BASE}/boom/tries`);
    expectAirflowSpec(tries, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries');
    expect(tries.body.task_instances.map((t: { try_number: number; state: string }) => [t.try_number, t.state])).to.deep.equal([[1, 'failed']]);
    const one = await api.get(`${BASE}/boom/tries/1`);
    expectAirflowSpec(one, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries/{task_try_number}');
    expect(one.body.end_date).to.be.a('string');
    const none = await api.get(`${BASE}/boom/tries/4`);
    expect(none.status).to.equal(404);
    expectAirflowSpec(none, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries/{task_try_number}');
    const mapped = await api.get(`${BASE}/fan/1/tries`);
    expectAirflowSpec(mapped, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/tries');
    expect(mapped.body.task_instances[0]).to.include({ map_index: 1, try_number: 1, state: 'success' });
    const mappedOne = await api.get(`${BASE}/fan/1/tries/1`);
    expectAirflowSpec(mappedOne, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/tries/{task_try_number}');
    expect((await api.get(`${BASE}/boom/tries/abc`)).status).to.equal(422);
  });

  it('dependencies say why a task is not running (only the failing ones), and nothing for a finished task', async () => {
    const idle = await api.get('/api/v2/dags/ti_idle/dagRuns/idle_run/taskInstances/waiting/dependencies');
    expectAirflowSpec(idle, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/dependencies');
    const names = idle.body.dependencies.map((d: { name: string }) => d.name);
    expect(names).to.include('Dagrun Running');
    expect(idle.body.dependencies.every((d: { reason: string }) => d.reason.length > 0)).to.equal(true);
    const done = await api.get(`${BASE}/fan/0/dependencies`);
    expectAirflowSpec(done, 'get', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/dependencies');
    expect(done.body.dependencies).to.deep.equal([]);
    expect((await api.get(`${BASE}/ghost/dependencies`)).status).to.equal(404);
  });

  it('PATCH dry_run lists what would change and changes nothing', async () => {
    const dry = await api.patch(`${BASE}/boom/dry_run`, { new_state: 'success', include_downstream: true });
    expectAirflowSpec(dry, 'patch', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/dry_run');
    expect(taskIds(dry).sort()).to.deep.equal(['after_boom', 'boom']);
    expect(await h.taskStates('ti_api', RUN)).to.include({ boom: 'failed', after_boom: 'upstream_failed' });
    const mappedDry = await api.patch(`${BASE}/fan/1/dry_run`, { new_state: 'failed' });
    expectAirflowSpec(mappedDry, 'patch', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/dry_run');
    expect(taskIds(mappedDry)).to.deep.equal(['fan[1]']);
    expect((await rows(h.db, `select 1 from event_log where event = 'patch_task_instance'`))).to.have.length(0);
  });

  it('PATCH validates: viewer 403, bad state 422, unknown fields 422, unknown task 404, bad update_mask 400', async () => {
    const path = '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}';
    const viewer = await api.patch(`${BASE}/boom`, { new_state: 'success' }, 'viewer');
    expect(viewer.status).to.equal(403);
    expectAirflowSpec(viewer, 'patch', path);
    const running = await api.patch(`${BASE}/boom`, { new_state: 'running' });
    expect(running.status).to.equal(422);
    expectAirflowSpec(running, 'patch', path);
    expect((await api.patch(`${BASE}/boom`, { new_state: 'success', sneaky: 1 })).status).to.equal(422);
    const ghost = await api.patch(`${BASE}/ghost`, { new_state: 'success' });
    expect(ghost.status).to.equal(404);
    expectAirflowSpec(ghost, 'patch', path);
    expect((await api.patch(`${BASE}/boom?update_mask=state`, { new_state: 'success' })).status).to.equal(400);
  });

  it('PATCH marks a failed task success: its upstream_failed downstream runs again and the run ends success; audited', async () => {
    const res = await api.patch(`${BASE}/boom`, { new_state: 'success', note: 'fixed by hand' }, 'user');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'patch', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}');
    expect(taskIds(res)).to.deep.equal(['boom']);
    expect(res.body.task_instances[0]).to.include({ state: 'success', note: 'fixed by hand' });
    expect(await h.waitForRun('ti_api', RUN)).to.equal('success');
    expect(await h.taskStates('ti_api', RUN)).to.include({ boom: 'success', after_boom: 'success' });
    const [event] = await rows<{ owner: string; task_id: string; run_id: string }>(h.db,
      `select owner, task_id, run_id from event_log where event = 'patch_task_instance'`);
    expect(event).to.deep.equal({ owner: 'user', task_id: 'boom', run_id: RUN });
    const again = await api.patch(`${BASE}/boom`, { new_state: 'success' });
    expect(again.status).to.equal(409);
    expectAirflowSpec(again, 'patch', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}');
  });

  it('PATCH a mapped instance by map_index (state and note via update_mask)', async () => {
    const res = await api.patch(`${BASE}/fan/0?update_mask=note`, { note: 'only the note', new_state: 'failed' });
    expectAirflowSpec(res, 'patch', '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}');
    expect(res.body.task_instances[0]).to.include({ map_index: 0, state: 'success', note: 'only the note' });
    const skipped = await api.patch(`${BASE}/fan/2`, { new_state: 'skipped' });
    expect(taskIds(skipped)).to.deep.equal(['fan[2]']);
    const [row] = await rows<{ state: string; end_date: Date | null }>(h.db,
      `select state, end_date from task_instance where run_id = ? and task_id = 'fan' and map_index = 2`, [RUN]);
    expect(row?.state).to.equal('skipped');
    expect(row?.end_date).to.be.instanceOf(Date);
    expect((await rows(h.db, `select 1 from event_log where event = 'patch_task_instance' and map_index is not null`))).to.have.length(2);
  });
});
