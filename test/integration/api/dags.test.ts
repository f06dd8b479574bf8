/**
 * /api/v2 DAG resources: dags (list, get, patch, bulk patch, delete), details. Every
 * answer is checked against Airflow's OpenAPI document. Tasks, sources, versions,
 * import errors, stats and tags are in dag-resources.test.ts.
 */
import { expect } from 'chai';
import { rows } from '../../../core/transitions/sql.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec } from '../../support/api.ts';
import { DAG_FILES } from './dag-fixtures.ts';

describe('api: dags', function () {
  this.timeout(30_000);
  let h: Harness;
  let api: ApiClient;
  const ids = (res: { body: { dags: Array<{ dag_id: string }> } }) => res.body.dags.map((d) => d.dag_id);

  before(async () => {
    h = await Harness.create();
    for (const [name, source] of Object.entries(DAG_FILES)) h.writeDag(name, source);
    expect(await h.processDags(), 'import errors').to.equal(1);
    api = await ApiClient.start(h);
  });
  after(async () => { await h.stop(); });

  it('GET /dags lists active DAGs by dag_id with total_entries, in Airflow\'s shape', async () => {
    const res = await api.get('/api/v2/dags', 'viewer');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'get', '/api/v2/dags');
    expect(ids(res)).to.deep.equal(['alpha', 'beta', 'gamma', 'zeta']);
    expect(res.body.total_entries).to.equal(4);
    const alpha = res.body.dags[0];
    expect(alpha).to.include({ dag_id: 'alpha', is_paused: false, is_stale: false, timetable_summary: '0 6 * * *',
      relative_fileloc: 'alpha.ts', has_import_errors: false, has_task_concurrency_limits: false, max_active_runs: 2 });
    expect(alpha.owners).to.deep.equal(['alice']);
    expect(alpha.tags.map((t: { name: string }) => t.name)).to.deep.equal(['daily', 'finance']);
    expect(alpha.next_dagrun_run_after).to.match(/^\d{4}-\d\d-\d\dT0[45]:00:00\.000Z$/); // 06:00 in Amsterdam
    expect(res.body.dags.find((d: { dag_id: string }) => d.dag_id === 'gamma').has_task_concurrency_limits).to.equal(true);
    expect(res.body.dags.find((d: { dag_id: string }) => d.dag_id === 'beta').owners).to.deep.equal(['airflow']);
  });

  it('GET /dags pages with limit/offset, caps limit at 100, and orders by dag_id or -dag_id', async () => {
    const page = await api.get('/api/v2/dags?limit=2&offset=1&order_by=-dag_id');
    expectAirflowSpec(page, 'get', '/api/v2/dags');
    expect(ids(page)).to.deep.equal(['gamma', 'beta']);
    expect(page.body.total_entries).to.equal(4);
    const huge = await api.get('/api/v2/dags?limit=1000000');
    expect(huge.status).to.equal(200);
    expect(ids(huge)).to.have.length(4);
    const byNext = await api.get('/api/v2/dags?order_by=next_dagrun&order_by=dag_id');
    expectAirflowSpec(byNext, 'get', '/api/v2/dags');
    // alpha and gamma have a next run; beta and zeta (manual only) sort last.
    expect(ids(byNext).slice(2)).to.deep.equal(['beta', 'zeta']);
  });

  it('GET /dags filters by dag_id_pattern (LIKE, ~, a|b), tags (any/all), owners, paused', async () => {
    const cases: Array<[string, string[]]> = [
      ['dag_id_pattern=a', ['alpha', 'beta', 'gamma', 'zeta']],
      ['dag_id_pattern=al', ['alpha']],
      ['dag_id_pattern=%25ta', ['beta', 'zeta']],
      ['dag_id_pattern=~', ['alpha', 'beta', 'gamma', 'zeta']],
      ['dag_id_pattern=alp%20|%20gam', ['alpha', 'gamma']],
      ['tags=finance', ['alpha', 'beta']],
      ['tags=finance&tags=ops', ['alpha', 'beta', 'gamma']],
      ['tags=finance&tags=daily&tags_match_mode=all', ['alpha']],
      ['owners=alice', ['alpha']],
      ['owners=airflow', ['beta', 'gamma', 'zeta']],
      ['paused=true', []],
      ['paused=false&tags=ops', ['gamma']],
    ];
    for (const [q, expected] of cases) {
      const res = await api.get(`/api/v2/dags?${q}`);
      expectAirflowSpec(res, 'get', '/api/v2/dags');
      expect(ids(res), q).to.deep.equal(expected);
      expect(res.body.total_entries, q).to.equal(expected.length);
    }
  });

  it('SQL injection in dag_id_pattern, tags and order_by is data, never SQL', async () => {
    for (const q of ["dag_id_pattern=' or 1=1 --", "tags=x') or true --", "owners=%27%3B drop table dag; --"]) {
      const res = await api.get(`/api/v2/dags?${q.replace(/ /g, '%20')}`);
      expect(res.status, q).to.equal(200);
      expectAirflowSpec(res, 'get', '/api/v2/dags');
      expect(res.body.total_entries, q).to.equal(0);
    }
    const order = await api.get('/api/v2/dags?order_by=dag_id;drop%20table%20dag');
    expect(order.status).to.equal(400);
    expect(order.body.detail).to.match(/^Ordering with 'dag_id;drop table dag' is disallowed/);
    expect((await rows(h.db, 'select dag_id from dag')).length).to.equal(4);
  });

  it('GET /dags answers bad parameters with 422 (or 400 for order_by), and 401 without a token', async () => {
    for (const q of ['limit=-1', 'limit=abc', 'offset=x', 'paused=maybe', 'tags_match_mode=some', 'last_dag_run_state=nope']) {
      const res = await api.get(`/api/v2/dags?${q}`);
      expect(res.status, q).to.equal(422);
      expectAirflowSpec(res, 'get', '/api/v2/dags');
      expect(res.body.detail[0].loc[0]).to.equal('query');
    }
    const none = await api.get('/api/v2/dags', null);
    expect(none.status).to.equal(401);
    expectAirflowSpec(none, 'get', '/api/v2/dags');
  });

  it('GET /dags/{dag_id} answers the DAG, or 404 with Airflow\'s wording', async () => {
    const res = await api.get('/api/v2/dags/alpha', 'viewer');
    expectAirflowSpec(res, 'get', '/api/v2/dags/{dag_id}');
    expect(res.body.dag_id).to.equal('alpha');
    expect(res.body.description).to.equal('the alpha DAG');
    const missing = await api.get('/api/v2/dags/nope');
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'get', '/api/v2/dags/{dag_id}');
    expect(missing.body).to.deep.equal({ detail: 'The Dag with ID: `nope` was not found' });
  });

  it('GET /dags/{dag_id}/details adds what the serialized DAG knows', async () => {
    await h.trigger({ dag_id: 'alpha', run_id: 'r1' });
    const res = await api.get('/api/v2/dags/alpha/details', 'viewer');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'get', '/api/v2/dags/{dag_id}/details');
    expect(res.body).to.include({ catchup: false, timezone: 'Europe/Amsterdam', active_runs_count: 1, dag_run_timeout: 'PT3600S', concurrency: 16 });
    expect(res.body.params.region).to.include({ value: 'eu' });
    expect(res.body.latest_dag_version).to.include({ dag_id: 'alpha', version_number: 1 });
    expect(res.body.start_date).to.equal('2025-12-31T23:00:00.000Z');
    const missing = await api.get('/api/v2/dags/nope/details');
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'get', '/api/v2/dags/{dag_id}/details');
  });

  it('GET /dags filters and orders by the latest run (alpha has a queued run from the test above)', async () => {
    const queued = await api.get('/api/v2/dags?last_dag_run_state=queued');
    expectAirflowSpec(queued, 'get', '/api/v2/dags');
    expect(ids(queued)).to.deep.equal(['alpha']);
    expect(ids(await api.get('/api/v2/dags?dag_run_state=success'))).to.deep.equal([]);
    const byRun = await api.get('/api/v2/dags?order_by=-last_run_start_date&order_by=last_run_state&order_by=-dag_id');
    expect(byRun.status).to.equal(200);
    expect(ids(byRun)).to.deep.equal(['alpha', 'zeta', 'gamma', 'beta']);
  });

  it('PATCH /dags/{dag_id} pauses and unpauses (user), records it, and refuses viewers (403)', async () => {
    const forbidden = await api.patch('/api/v2/dags/beta', { is_paused: true }, 'viewer');
    expect(forbidden.status).to.equal(403);
    expectAirflowSpec(forbidden, 'patch', '/api/v2/dags/{dag_id}');
    const paused = await api.patch('/api/v2/dags/beta?update_mask=is_paused', { is_paused: true }, 'user');
    expect(paused.status).to.equal(200);
    expectAirflowSpec(paused, 'patch', '/api/v2/dags/{dag_id}');
    expect(paused.body.is_paused).to.equal(true);
    expect(ids(await api.get('/api/v2/dags?paused=true'))).to.deep.equal(['beta']);
    const [log] = await rows<{ owner: string; extra: string }>(h.db, `select owner, extra from event_log where event = 'patch_dag' and dag_id = 'beta'`);
    expect(log).to.deep.equal({ owner: 'user', extra: '{"is_paused":true}' });
    const unpaused = await api.patch('/api/v2/dags/beta', { is_paused: false }, 'user');
    expectAirflowSpec(unpaused, 'patch', '/api/v2/dags/{dag_id}');
    expect(unpaused.body.is_paused).to.equal(false);
  });

  it('PATCH /dags/{dag_id} rejects a bad body (422), another update_mask (400), malformed JSON (400), an unknown DAG (404)', async () => {
    for (const body of [{}, { is_paused: 'yes' }, { is_paused: null }]) {
      const res = await api.patch('/api/v2/dags/beta', body);
      expect(res.status, JSON.stringify(body)).to.equal(422);
      expectAirflowSpec(res, 'patch', '/api/v2/dags/{dag_id}');
      expect(res.body.detail[0].loc).to.deep.equal(['body', 'is_paused']);
    }
    const mask = await api.patch('/api/v2/dags/beta?update_mask=description', { is_paused: true });
    expect(mask.status).to.equal(400);
    expectAirflowSpec(mask, 'patch', '/api/v2/dags/{dag_id}');
    expect(mask.body.detail).to.equal('Only `is_paused` field can be updated through the REST API');
    const malformed = await api.request('PATCH', '/api/v2/dags/beta', { rawBody: '{"is_paused": tru' });
    expect(malformed.status).to.equal(400);
    expectAirflowSpec(malformed, 'patch', '/api/v2/dags/{dag_id}');
    const missing = await api.patch('/api/v2/dags/nope', { is_paused: true });
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'patch', '/api/v2/dags/{dag_id}');
    expect(missing.body.detail).to.equal('Dag with id: nope was not found');
    expect((await rows(h.db, 'select 1 from dag where is_paused')).length).to.equal(0);
  });

  it('PATCH /dags pauses every DAG matching the filters, answers one page, and matches nothing without a pattern', async () => {
    const noPattern = await api.patch('/api/v2/dags', { is_paused: true }, 'user');
    expectAirflowSpec(noPattern, 'patch', '/api/v2/dags');
    expect(noPattern.body.total_entries).to.equal(0);
    const res = await api.patch('/api/v2/dags?dag_id_pattern=~&tags=finance&limit=1', { is_paused: true }, 'user');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'patch', '/api/v2/dags');
    expect(res.body.total_entries).to.equal(2);
    expect(ids(res)).to.deep.equal(['alpha']);
    expect(res.body.dags[0].is_paused).to.equal(true);
    expect(ids(await api.get('/api/v2/dags?paused=true'))).to.deep.equal(['alpha', 'beta']);
    expect((await rows(h.db, `select dag_id from event_log where event = 'patch_dags' order by dag_id`)).map((r: any) => r.dag_id)).to.deep.equal(['alpha', 'beta']);
    const all = await api.patch('/api/v2/dags?dag_id_pattern=%25', { is_paused: false }, 'user');
    expectAirflowSpec(all, 'patch', '/api/v2/dags');
    expect(all.body.total_entries).to.equal(4);
    expect((await rows(h.db, 'select 1 from dag where is_paused')).length).to.equal(0);
    const viewer = await api.patch('/api/v2/dags?dag_id_pattern=~', { is_paused: true }, 'viewer');
    expect(viewer.status).to.equal(403);
    const bad = await api.patch('/api/v2/dags?dag_id_pattern=~', { paused: true });
    expect(bad.status).to.equal(422);
    expectAirflowSpec(bad, 'patch', '/api/v2/dags');
  });

  it('DELETE /dags/{dag_id}: 409 while a task runs, then 204 removing runs and versions; 404 after', async () => {
    await h.trigger({ dag_id: 'zeta', run_id: 'z1' });
    await h.db.raw(`update task_instance set state = 'running' where dag_id = 'zeta'`);
    const busy = await api.delete('/api/v2/dags/zeta', 'user');
    expect(busy.status).to.equal(409);
    expect(busy.body.detail).to.equal("Task instances of dag with id: 'zeta' are still running");
    expect((await api.delete('/api/v2/dags/zeta', 'viewer')).status).to.equal(403);
    await h.db.raw(`update task_instance set state = 'success' where dag_id = 'zeta'`);
    const ok = await api.delete('/api/v2/dags/zeta', 'user');
    expect(ok.status).to.equal(204);
    for (const table of ['dag', 'dag_run', 'dag_version', 'task_instance']) {
      expect((await rows(h.db, `select 1 from ${table} where dag_id = 'zeta'`)).length, table).to.equal(0);
    }
    expect((await rows(h.db, `select 1 from event_log where event = 'delete_dag' and dag_id = 'zeta' and owner = 'user'`)).length).to.equal(1);
    const again = await api.delete('/api/v2/dags/zeta');
    expect(again.status).to.equal(404);
    expectAirflowSpec(again, 'delete', '/api/v2/dags/{dag_id}');
  });
});
