/**
 * /api/v2 resources beside a DAG: tasks, dagSources, dagVersions, importErrors,
 * dagStats and dagTags, each answer checked against Airflow's OpenAPI document.
 */
import { expect } from 'chai';
import { rows } from '../../../core/transitions/sql.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec } from '../../support/api.ts';
import { DAG_FILES } from './dag-fixtures.ts';

describe('api: tasks, sources, versions, import errors, stats, tags', function () {
  this.timeout(30_000);
  let h: Harness;
  let api: ApiClient;

  before(async () => {
    h = await Harness.create();
    for (const [name, source] of Object.entries(DAG_FILES)) h.writeDag(name, source);
    expect(await h.processDags(), 'import errors').to.equal(1);
    // A second version of beta: a changed file is a new version.
    h.writeDag('beta.yaml', `${DAG_FILES['beta.yaml']}  - { id: second, type: empty, depends_on: [only] }\n`);
    expect(await h.processDags()).to.equal(1);
    api = await ApiClient.start(h);
  });
  after(async () => { await h.stop(); });

  it('GET /dags/{dag_id}/tasks answers the latest version\'s tasks in Airflow\'s TaskResponse shape', async () => {
    const res = await api.get('/api/v2/dags/alpha/tasks', 'viewer');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'get', '/api/v2/dags/{dag_id}/tasks');
    expect(res.body.total_entries).to.equal(5);
    expect(res.body.tasks.map((t: { task_id: string }) => t.task_id)).to.deep.equal(['extract', 'files', 'grp.inner', 'load', 'start']);
    const extract = res.body.tasks.find((t: { task_id: string }) => t.task_id === 'extract');
    expect(extract).to.include({ operator_name: 'BashOperator', trigger_rule: 'all_done', retries: 2, retry_exponential_backoff: 2, is_mapped: false, owner: 'alice' });
    expect(extract.retry_delay).to.deep.equal({ __type: 'TimeDelta', days: 0, seconds: 90, microseconds: 0 });
    expect(extract.execution_timeout).to.deep.equal({ __type: 'TimeDelta', days: 0, seconds: 600, microseconds: 0 });
    expect(extract.downstream_task_ids).to.deep.equal(['files', 'load']);
    expect(extract.template_fields).to.include('bash_command');
    expect(extract.params.region.value).to.equal('eu');
    expect(res.body.tasks.find((t: { task_id: string }) => t.task_id === 'load').is_mapped).to.equal(true);
    expect(res.body.tasks.find((t: { task_id: string }) => t.task_id === 'files').operator_name).to.equal('@task');
  });

  it('GET /dags/{dag_id}/tasks orders by one attribute (- for descending); others are a 400', async () => {
    const res = await api.get('/api/v2/dags/alpha/tasks?order_by=-task_id');
    expectAirflowSpec(res, 'get', '/api/v2/dags/{dag_id}/tasks');
    expect(res.body.tasks.map((t: { task_id: string }) => t.task_id)).to.deep.equal(['start', 'load', 'grp.inner', 'files', 'extract']);
    const bad = await api.get('/api/v2/dags/alpha/tasks?order_by=__proto__');
    expect(bad.status).to.equal(400);
    expectAirflowSpec(bad, 'get', '/api/v2/dags/{dag_id}/tasks');
    const missing = await api.get('/api/v2/dags/nope/tasks');
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'get', '/api/v2/dags/{dag_id}/tasks');
  });

  it('GET /dags/{dag_id}/tasks/{task_id} answers one task (group tasks too), or 404', async () => {
    const res = await api.get('/api/v2/dags/alpha/tasks/grp.inner', 'viewer');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'get', '/api/v2/dags/{dag_id}/tasks/{task_id}');
    expect(res.body).to.include({ task_id: 'grp.inner', operator_name: 'EmptyOperator' });
    const missing = await api.get('/api/v2/dags/alpha/tasks/nope');
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'get', '/api/v2/dags/{dag_id}/tasks/{task_id}');
    expect(missing.body.detail).to.equal('Task with id nope not found');
  });

  it('GET /dagSources/{dag_id} answers the latest or a given version, as JSON or plain text', async () => {
    const res = await api.get('/api/v2/dagSources/beta', 'viewer');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'get', '/api/v2/dagSources/{dag_id}');
    expect(res.body).to.include({ dag_id: 'beta', version_number: 2 });
    expect(res.body.content).to.contain('id: second');
    const v1 = await api.get('/api/v2/dagSources/beta?version_number=1');
    expectAirflowSpec(v1, 'get', '/api/v2/dagSources/{dag_id}');
    expect(v1.body.content).to.not.contain('id: second');
    const text = await api.request('GET', '/api/v2/dagSources/beta', { headers: { accept: 'text/plain' } });
    expect(text.status).to.equal(200);
    expect(text.headers.get('content-type')).to.match(/^text\/plain/);
    expect(text.text).to.equal(DAG_FILES['beta.yaml'] + '  - { id: second, type: empty, depends_on: [only] }\n');
    const xml = await api.request('GET', '/api/v2/dagSources/beta', { headers: { accept: 'application/xml' } });
    expect(xml.status).to.equal(406);
    expectAirflowSpec(xml, 'get', '/api/v2/dagSources/{dag_id}');
    for (const [path, status] of [['/api/v2/dagSources/nope', 404], ['/api/v2/dagSources/beta?version_number=9', 404],
      ['/api/v2/dagSources/beta?version_number=x', 422], ['/api/v2/dagSources/beta?version_number=99999999999', 422]] as const) {
      const r = await api.get(path);
      expect(r.status, path).to.equal(status);
      expectAirflowSpec(r, 'get', '/api/v2/dagSources/{dag_id}');
    }
  });

  it('GET /dags/{dag_id}/dagVersions lists versions (also for ~), pages and orders; one version by number', async () => {
    const res = await api.get('/api/v2/dags/beta/dagVersions?order_by=-version_number', 'viewer');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'get', '/api/v2/dags/{dag_id}/dagVersions');
    expect(res.body.dag_versions.map((v: { version_number: number }) => v.version_number)).to.deep.equal([2, 1]);
    expect(res.body.total_entries).to.equal(2);
    const all = await api.get('/api/v2/dags/~/dagVersions?limit=2&offset=1');
    expectAirflowSpec(all, 'get', '/api/v2/dags/{dag_id}/dagVersions');
    expect(all.body.total_entries).to.equal(5);
    expect(all.body.dag_versions).to.have.length(2);
    const one = await api.get('/api/v2/dags/beta/dagVersions/1');
    expectAirflowSpec(one, 'get', '/api/v2/dags/{dag_id}/dagVersions/{version_number}');
    expect(one.body).to.include({ dag_id: 'beta', version_number: 1, bundle_name: 'dags-folder' });
    for (const [path, status] of [['/api/v2/dags/beta/dagVersions/7', 404], ['/api/v2/dags/beta/dagVersions/x', 422],
      ['/api/v2/dags/nope/dagVersions', 404]] as const) {
      const r = await api.get(path);
      expect(r.status, path).to.equal(status);
      expectAirflowSpec(r, 'get', path.endsWith('dagVersions') ? '/api/v2/dags/{dag_id}/dagVersions' : '/api/v2/dags/{dag_id}/dagVersions/{version_number}');
    }
    expect((await api.get('/api/v2/dags/beta/dagVersions?order_by=hash')).status).to.equal(400);
  });

  it('GET /importErrors lists files that failed to parse, filters by filename_pattern; one by id, or 404/422', async () => {
    const res = await api.get('/api/v2/importErrors', 'viewer');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'get', '/api/v2/importErrors');
    expect(res.body.total_entries).to.equal(1);
    const [err] = res.body.import_errors;
    expect(err.filename).to.match(/broken\.ts$/);
    expect(err.stack_trace).to.contain('not a schedule');
    const one = await api.get(`/api/v2/importErrors/${err.import_error_id}`);
    expectAirflowSpec(one, 'get', '/api/v2/importErrors/{import_error_id}');
    expect(one.body).to.deep.equal(err);
    const filtered = await api.get("/api/v2/importErrors?filename_pattern=' or 1=1 --");
    expectAirflowSpec(filtered, 'get', '/api/v2/importErrors');
    expect(filtered.body.total_entries).to.equal(0);
    expect((await api.get('/api/v2/importErrors?filename_pattern=brok')).body.total_entries).to.equal(1);
    for (const [path, status] of [['/api/v2/importErrors/999', 404], ['/api/v2/importErrors/abc', 422], ['/api/v2/importErrors/1e3', 422]] as const) {
      const r = await api.get(path);
      expect(r.status, path).to.equal(status);
      expectAirflowSpec(r, 'get', '/api/v2/importErrors/{import_error_id}');
    }
    expect((await api.get('/api/v2/importErrors', null)).status).to.equal(401);
  });

  it('GET /dagStats counts runs per state for the given dag_ids (all states, zeros included)', async () => {
    await h.trigger({ dag_id: 'beta', run_id: 'b1' });
    await h.trigger({ dag_id: 'beta', run_id: 'b2' });
    await h.db.raw(`update dag_run set state = 'failed' where run_id = 'b2'`);
    const res = await api.get('/api/v2/dagStats?dag_ids=beta&dag_ids=gamma', 'viewer');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'get', '/api/v2/dagStats');
    expect(res.body.total_entries).to.equal(2);
    const beta = res.body.dags.find((d: { dag_id: string }) => d.dag_id === 'beta');
    expect(beta.stats).to.deep.equal([
      { state: 'queued', count: 1 }, { state: 'running', count: 0 }, { state: 'success', count: 0 }, { state: 'failed', count: 1 }]);
    const all = await api.get('/api/v2/dagStats');
    expectAirflowSpec(all, 'get', '/api/v2/dagStats');
    expect(all.body.total_entries).to.equal(4);
    const injected = await api.get("/api/v2/dagStats?dag_ids=' or 1=1 --");
    expectAirflowSpec(injected, 'get', '/api/v2/dagStats');
    expect(injected.body.total_entries).to.equal(0);
  });

  it('GET /dagTags lists distinct tags, sorted, paged, filtered by tag_name_pattern', async () => {
    const res = await api.get('/api/v2/dagTags', 'viewer');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'get', '/api/v2/dagTags');
    expect(res.body).to.deep.equal({ tags: ['daily', 'finance', 'ops'], total_entries: 3 });
    const page = await api.get('/api/v2/dagTags?order_by=-name&limit=1&offset=1');
    expectAirflowSpec(page, 'get', '/api/v2/dagTags');
    expect(page.body).to.deep.equal({ tags: ['finance'], total_entries: 3 });
    const pattern = await api.get('/api/v2/dagTags?tag_name_pattern=fin|ops');
    expect(pattern.body.tags).to.deep.equal(['finance', 'ops']);
    const bad = await api.get('/api/v2/dagTags?limit=-5');
    expect(bad.status).to.equal(422);
    expectAirflowSpec(bad, 'get', '/api/v2/dagTags');
    expect((await rows(h.db, 'select 1 from dag')).length).to.equal(4);
  });
});
