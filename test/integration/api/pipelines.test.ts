/**
 * The pipeline API (/api/v1/pipelines): definitions validated by the dag-processor's own
 * builder, versions kept, the DAG file written into the DAGs folder and loaded by a real
 * dag-processor, runs through scheduler and worker, schedule changes, lineage across
 * pipelines, and auth/404/409/422 answers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { rows } from '../../../core/transitions/sql.ts';
import { ApiClient } from '../../support/api.ts';
import { Harness } from '../../support/harness.ts';

const SEED = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../dags/daily_revenue_pipeline.json'), 'utf8')) as Record<string, unknown>;
const ECHO = { name: 'echo_pipe', schedule: null, tasks: [
  { id: 'first', type: 'bash', bash_command: 'echo "hello {{ dag_run.conf.get(\'who\', \'nobody\') }}"' },
  { id: 'second', type: 'bash', depends_on: ['first'], bash_command: 'echo done' },
] };

describe('api: pipelines (/api/v1/pipelines)', function () {
  this.timeout(60_000);
  let h: Harness;
  let api: ApiClient;
  const events = async (event: string) => rows<{ owner: string; dag_id: string; extra: string }>(h.db,
    'select owner, dag_id, extra from event_log where event = ? order by id', [event]);

  before(async () => {
    h = await Harness.create();
    api = await ApiClient.start(h);
  });
  after(async () => { await h.stop(); });

  it('needs a token (401), the user role to change (403), and answers 404 for unknown pipelines', async () => {
    expect((await api.get('/api/v1/pipelines', null)).status).to.equal(401);
    const empty = await api.get('/api/v1/pipelines', 'viewer');
    expect(empty.status).to.equal(200);
    expect(empty.body).to.deep.equal({ pipelines: [], total_entries: 0 });
    const denied = await api.post('/api/v1/pipelines', ECHO, 'viewer');
    expect(denied.status).to.equal(403);
    expect(denied.body.detail).to.match(/needs the user role/);
    for (const p of ['/nope', '/nope/runs', '/nope/runs/x', '/nope/lineage', `/${encodeURIComponent("' or 1=1 --")}/runs`]) {
      const res = await api.get(`/api/v1/pipelines${p}`);
      expect(res.status, p).to.equal(404);
    }
    expect((await api.get('/api/v1/pipelines/nope')).body).to.deep.equal({ detail: 'The Pipeline with ID: `nope` was not found' });
    expect((await api.post('/api/v1/pipelines/nope/run', {})).status).to.equal(404);
    expect((await api.put('/api/v1/pipelines/nope/schedule', { schedule: '@daily' })).status).to.equal(404);
  });

  it('refuses invalid definitions with a 422 naming the problem, and malformed JSON with a 400', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ name: 'bad', tasks: [{ id: 'a', type: 'spark' }] }, /unknown operator type\(s\) "spark" \(task "a"\)/],
      [{ name: 'bad', tasks: [] }, /"tasks" must be a non-empty list/],
      [{ tasks: [{ id: 'a', type: 'empty' }] }, /missing "dag_id" \(or "name"\)/],
      [{ name: 'bad', tasks: [{ id: 'a', type: 'sql' }] }, /task "a" of DAG "bad": give the statement as "query"/],
      [{ name: 'bad', schedule: '61 * * * *', tasks: [{ id: 'a', type: 'empty' }] }, /minute 61 out of range/],
      [{ name: 'bad', tasks: [{ id: 'b', type: 'empty', depends_on: ['zzz'] }] }, /depends on unknown task "zzz"/],
      [{ name: '../escape', tasks: [{ id: 'a', type: 'empty' }] }, /pipeline name is 1 to 250 letters/],
      [['not', 'an', 'object'], /must be a JSON object/],
    ];
    for (const [doc, message] of cases) {
      const res = await api.post('/api/v1/pipelines', doc, 'user');
      expect(res.status, JSON.stringify(doc)).to.equal(422);
      expect(res.body.detail[0].msg, JSON.stringify(doc)).to.match(message);
    }
    const malformed = await api.request('POST', '/api/v1/pipelines', { rawBody: '{"name": "x", "tasks": [' });
    expect(malformed.status).to.equal(400);
    expect(fs.existsSync(path.join(h.dagsFolder, 'pipelines'))).to.equal(false);
    expect(await rows(h.db, 'select * from pipeline')).to.deep.equal([]);
  });

  it('stores the seed definition under another name, writes its DAG file, and makes a re-post version 2', async () => {
    const doc = { ...SEED, name: 'revenue_copy' };
    const created = await api.post('/api/v1/pipelines', doc, 'user');
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ id: 'revenue_copy', name: 'revenue_copy', dag_id: 'revenue_copy', version: 1, schedule: '0 6 * * *' });
    expect(created.body.definition).to.deep.equal(doc);
    const file = path.join(h.dagsFolder, 'pipelines', 'revenue_copy.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).to.deep.equal(doc);
    expect(fs.readdirSync(path.dirname(file))).to.deep.equal(['revenue_copy.json']);   // no temp file left

    const doc2 = { ...doc, description: 'second version' };
    const again = await api.post('/api/v1/pipelines', doc2, 'user');
    expect(again.status).to.equal(201);
    expect(again.body.version).to.equal(2);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).description).to.equal('second version');

    const got = await api.get('/api/v1/pipelines/revenue_copy', 'viewer');
    expect(got.status).to.equal(200);
    expect(got.body.version).to.equal(2);
    expect(got.body.definition).to.deep.equal(doc2);
    expect(got.body.versions.map((v: { version: number; created_by: string }) => [v.version, v.created_by])).to.deep.equal([[2, 'user'], [1, 'user']]);
    expect(got.body.dag).to.deep.equal({ loaded: false });

    expect((await events('create_pipeline')).map((e) => [e.owner, e.dag_id])).to.deep.equal([['user', 'revenue_copy']]);
    expect(JSON.parse((await events('update_pipeline'))[0]!.extra)).to.deep.equal({ pipeline: 'revenue_copy', version: 2 });
  });

  it('refuses a name that a DAG file outside the pipelines already defines (409)', async () => {
    h.writeDag('taken.json', JSON.stringify({ name: 'taken', tasks: [{ id: 'a', type: 'empty' }] }));
    await h.processDags();
    const res = await api.post('/api/v1/pipelines', { name: 'taken', tasks: [{ id: 'a', type: 'empty' }] });
    expect(res.status).to.equal(409);
    expect(res.body.detail).to.match(/already defined in .*taken\.json/);
  });

  it('answers 409 when asked to run a pipeline the dag-processor has not loaded', async () => {
    await api.post('/api/v1/pipelines', { name: 'never_loaded', tasks: [{ id: 'a', type: 'empty' }] });
    const res = await api.post('/api/v1/pipelines/never_loaded/run', {});
    expect(res.status).to.equal(409);
    expect(res.body.detail).to.match(/^Pipeline `never_loaded` version 1 is not loaded yet/);
  });

  it('runs a pipeline through the dag-processor, scheduler and worker; lists its runs and shows task states', async () => {
    await h.startProcessor();
    await h.startScheduler();
    await h.startWorker();
    expect((await api.post('/api/v1/pipelines', ECHO, 'user')).status).to.equal(201);
    const bad = await api.post('/api/v1/pipelines/echo_pipe/run', { conf: [1], colour: 'red' }, 'user');
    expect(bad.status).to.equal(422);
    expect(bad.body.detail.map((d: { loc: string[] }) => d.loc.join('.'))).to.include.members(['body.conf', 'body']);
    expect((await api.post('/api/v1/pipelines/echo_pipe/run', {}, 'viewer')).status).to.equal(403);

    const run = await api.post('/api/v1/pipelines/echo_pipe/run', { run_id: 'api_run_1', conf: { who: 'world' } }, 'user');
    expect(run.status, JSON.stringify(run.body)).to.equal(200);
    expect(run.body).to.include({ pipeline: 'echo_pipe', run_id: 'api_run_1', run_type: 'manual', pipeline_version: 1, triggered_by: 'rest_api' });
    expect(await h.waitForRun('echo_pipe', 'api_run_1')).to.equal('success');
    const log = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance ti on ti.id = l.ti_id
      where ti.run_id = 'api_run_1' and ti.task_id = 'first'`);
    expect(log.map((l) => l.message)).to.include('hello world');
    const dup = await api.post('/api/v1/pipelines/echo_pipe/run', { run_id: 'api_run_1' }, 'user');
    expect(dup.status).to.equal(409);

    const runs = await api.get('/api/v1/pipelines/echo_pipe/runs', 'viewer');
    expect(runs.status).to.equal(200);
    expect(runs.body.total_entries).to.equal(1);
    expect(runs.body.runs[0]).to.include({ run_id: 'api_run_1', state: 'success' });
    expect(runs.body.runs[0].conf).to.deep.equal({ who: 'world' });

    const detail = await api.get('/api/v1/pipelines/echo_pipe/runs/api_run_1', 'viewer');
    expect(detail.status).to.equal(200);
    expect(detail.body.state).to.equal('success');
    expect(detail.body.tasks.map((t: { task_id: string; state: string; try_number: number }) => [t.task_id, t.state, t.try_number]))
      .to.deep.equal([['first', 'success', 1], ['second', 'success', 1]]);
    for (const t of detail.body.tasks) expect(Date.parse(t.end_date)).to.be.at.least(Date.parse(t.start_date));
    expect((await api.get('/api/v1/pipelines/echo_pipe/runs/missing')).status).to.equal(404);
    expect((await events('run_pipeline')).map((e) => e.owner)).to.deep.equal(['user']);
  });

  it('changes the schedule as a new version, validated; a run then uses the new version', async () => {
    const bad = await api.put('/api/v1/pipelines/echo_pipe/schedule', { schedule: 'every morning' }, 'user');
    expect(bad.status).to.equal(422);
    expect(bad.body.detail[0].msg).to.match(/invalid schedule "every morning"/);
    expect((await api.put('/api/v1/pipelines/echo_pipe/schedule', { schedule: 5 }, 'user')).status).to.equal(422);
    expect((await api.put('/api/v1/pipelines/echo_pipe/schedule', { schedule: '@daily' }, 'viewer')).status).to.equal(403);

    const changed = await api.put('/api/v1/pipelines/echo_pipe/schedule', { schedule: '0 7 * * *' }, 'user');
    expect(changed.status).to.equal(200);
    expect(changed.body).to.include({ version: 2, schedule: '0 7 * * *' });
    expect(changed.body.definition.tasks).to.deep.equal(ECHO.tasks);
    const run = await api.post('/api/v1/pipelines/echo_pipe/run', { run_id: 'after_schedule', logical_date: null }, 'user');
    expect(run.status).to.equal(200);
    expect(run.body).to.include({ pipeline_version: 2, logical_date: null });
    expect(await h.waitForRun('echo_pipe', 'after_schedule')).to.equal('success');
    const [dag] = await rows<{ timetable_description: string }>(h.db, 'select timetable_description from dag where dag_id = ?', ['echo_pipe']);
    expect(dag!.timetable_description).to.equal('0 7 * * *');
    const cleared = await api.put('/api/v1/pipelines/echo_pipe/schedule', { schedule: null }, 'user');
    expect(cleared.body).to.include({ version: 3, schedule: null });
    expect((await events('update_pipeline_schedule')).length).to.equal(2);
  });

  it('shows lineage: datasets per task, and the pipelines upstream and downstream through shared tables', async () => {
    await api.post('/api/v1/pipelines', { name: 'orders_ingest', schedule: null, tasks: [
      { id: 'load', type: 'sql', query: 'select * from landing.orders_raw', output: 'raw.orders' }] });
    await api.post('/api/v1/pipelines', { name: 'revenue_report', schedule: null, tasks: [
      { id: 'report', type: 'sql', query: 'select region from analytics.revenue_by_region r join dim.regions d using (region)' }] });
    const res = await api.get('/api/v1/pipelines/revenue_copy/lineage', 'viewer');
    expect(res.status).to.equal(200);
    expect(res.body.upstream).to.deep.equal(['orders_ingest']);
    expect(res.body.downstream).to.deep.equal(['revenue_report']);
    expect(res.body.tasks[0]).to.deep.equal({ task_id: 'extract_orders', reads: ['table:raw.orders'], writes: ['table:staging.orders_daily'] });
    const types = Object.fromEntries(res.body.nodes.map((n: { id: string; type: string }) => [n.id, n.type]));
    expect(types).to.include({
      'pipeline:orders_ingest': 'pipeline', 'pipeline:revenue_report': 'pipeline', 'table:raw.orders': 'dataset',
      'task:revenue_copy/quality_check': 'task',
    });
    expect(res.body.edges).to.deep.include({ from: 'pipeline:orders_ingest', to: 'table:raw.orders', kind: 'writes' });
    expect(res.body.edges).to.deep.include({ from: 'table:analytics.revenue_by_region', to: 'pipeline:revenue_report', kind: 'reads' });

    const ingest = await api.get('/api/v1/pipelines/orders_ingest/lineage');
    expect(ingest.body).to.include.keys('nodes', 'edges');
    expect(ingest.body.upstream).to.deep.equal([]);
    expect(ingest.body.downstream).to.deep.equal(['revenue_copy']);
  });

  it('lists pipelines with their latest version and Airflow-style paging', async () => {
    const all = await api.get('/api/v1/pipelines?limit=1000', 'viewer');
    expect(all.body.total_entries).to.equal(5);
    expect(all.body.pipelines.map((p: { id: string; version: number }) => [p.id, p.version])).to.deep.equal([
      ['echo_pipe', 3], ['never_loaded', 1], ['orders_ingest', 1], ['revenue_copy', 2], ['revenue_report', 1]]);
    const page = await api.get('/api/v1/pipelines?limit=2&offset=1');
    expect(page.body.pipelines.map((p: { id: string }) => p.id)).to.deep.equal(['never_loaded', 'orders_ingest']);
    expect(page.body.total_entries).to.equal(5);
    expect((await api.get('/api/v1/pipelines?limit=abc')).status).to.equal(422);
    expect((await api.get('/api/v1/pipelines?offset=-1')).status).to.equal(422);
  });
});
