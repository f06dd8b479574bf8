/**
 * Backfills over the REST API: dry run, create, list, get, pause, unpause and cancel,
 * with Airflow's statuses (404 unknown DAG or backfill, 409 a second running backfill or
 * a completed one, 422 impossible backfills and bad bodies, 403 for viewers). Every
 * response is checked against Airflow's OpenAPI document; every change is in event_log.
 */
import { expect } from 'chai';
import { rows } from '../../../core/transitions/sql.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec } from '../../support/api.ts';

const BODY = { dag_id: 'bfa', from_date: '2026-01-01T00:00:00Z', to_date: '2026-01-05T00:00:00Z' };

describe('api: backfills', function () {
  this.timeout(60_000);
  let h: Harness;
  let api: ApiClient;
  let id = 0;
  const eventNames = async () => (await rows<{ event: string }>(h.db,
    `select event from event_log where event like '%backfill%' order by id`)).map((e) => e.event);

  before(async () => {
    h = await Harness.create();
    h.writeDag('bfa.ts', `
import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'bfa', schedule: '@daily', start_date: '2026-01-01', catchup: false });
new EmptyOperator({ task_id: 'e', dag });
`);
    h.writeDag('manual.ts', `
import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'manual_only', schedule: null, start_date: '2026-01-01' });
new EmptyOperator({ task_id: 'e', dag });
`);
    expect(await h.processDags()).to.equal(0);
    api = await ApiClient.start(h);
  });
  after(async () => { await h.stop(); });

  it('POST backfills/dry_run lists the logical dates it would run, changing nothing', async () => {
    await h.trigger({ dag_id: 'bfa', run_id: 'done', logical_date: new Date('2026-01-03T00:00:00Z') });
    await h.db.raw(`update dag_run set state = 'failed' where run_id = 'done'`);
    const res = await api.post('/api/v2/backfills/dry_run', BODY, 'user');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'post', '/api/v2/backfills/dry_run');
    // The 3rd has a run already: skipped under reprocess "none", included under "failed".
    expect(res.body.backfills.map((b: { logical_date: string }) => b.logical_date.slice(0, 10)))
      .to.deep.equal(['2026-01-01', '2026-01-02', '2026-01-04', '2026-01-05']);
    const failed = await api.post('/api/v2/backfills/dry_run', { ...BODY, reprocess_behavior: 'failed' });
    expect(failed.body.total_entries).to.equal(5);
    expect(await rows(h.db, 'select 1 from backfill')).to.have.length(0);
  });

  it('POST backfills creates the runs (200) and logs create_backfill; a second one while it runs is a 409', async () => {
    const res = await api.post('/api/v2/backfills', { ...BODY, max_active_runs: 2, dag_run_conf: { k: 'v' } }, 'user');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'post', '/api/v2/backfills');
    expect(res.body).to.include({ dag_id: 'bfa', is_paused: false, reprocess_behavior: 'none', max_active_runs: 2, completed_at: null });
    expect(res.body.from_date).to.equal('2026-01-01T00:00:00.000Z');
    expect(res.body.dag_run_conf).to.deep.equal({ k: 'v' });
    id = res.body.id;
    const runs = await rows<{ run_type: string; conf: unknown }>(h.db, 'select run_type, conf from dag_run where backfill_id = ?', [id]);
    expect(runs).to.have.length(4);
    expect(runs.every((r) => r.run_type === 'backfill')).to.equal(true);
    expect(await eventNames()).to.deep.equal(['create_backfill']);
    const again = await api.post('/api/v2/backfills', BODY);
    expect(again.status).to.equal(409);
    expectAirflowSpec(again, 'post', '/api/v2/backfills');
    expect(again.body.detail).to.equal('There is already a running backfill for dag bfa');
  });

  it('impossible or malformed backfills are 422, an unknown DAG a 404, a viewer gets 403', async () => {
    for (const bad of [
      { ...BODY, dag_id: 'manual_only' }, { ...BODY, from_date: '2026-02-01T00:00:00Z' }, { ...BODY, run_backwards: true },
      { ...BODY, reprocess_behavior: 'always' }, { ...BODY, max_active_runs: 0 }, { ...BODY, extra: 1 }, { dag_id: 'bfa' },
      { ...BODY, dag_run_conf: [] }, { ...BODY, from_date: 'last week' },
    ]) {
      const res = await api.post('/api/v2/backfills', bad);
      expect(res.status, JSON.stringify(bad)).to.equal(422);
      expectAirflowSpec(res, 'post', '/api/v2/backfills');
    }
    const unknown = await api.post('/api/v2/backfills', { ...BODY, dag_id: 'nope' });
    expect(unknown.status).to.equal(404);
    expectAirflowSpec(unknown, 'post', '/api/v2/backfills');
    expect(unknown.body.detail).to.equal('Could not find dag nope');
    const dryUnknown = await api.post('/api/v2/backfills/dry_run', { ...BODY, dag_id: 'nope' });
    expect(dryUnknown.status).to.equal(404);
    expectAirflowSpec(dryUnknown, 'post', '/api/v2/backfills/dry_run');
    const viewer = await api.post('/api/v2/backfills', BODY, 'viewer');
    expect(viewer.status).to.equal(403);
    expectAirflowSpec(viewer, 'post', '/api/v2/backfills');
  });

  it('GET backfills (dag_id required) and GET backfills/{id}', async () => {
    const list = await api.get('/api/v2/backfills?dag_id=bfa', 'viewer');
    expect(list.status).to.equal(200);
    expectAirflowSpec(list, 'get', '/api/v2/backfills');
    expect(list.body.total_entries).to.equal(1);
    expect(list.body.backfills[0].id).to.equal(id);
    const paged = await api.get('/api/v2/backfills?dag_id=bfa&offset=1&order_by=-id');
    expect(paged.body).to.deep.include({ total_entries: 1, backfills: [] });
    const none = await api.get('/api/v2/backfills?dag_id=manual_only');
    expect(none.body.total_entries).to.equal(0);
    const noDag = await api.get('/api/v2/backfills');
    expect(noDag.status).to.equal(422);
    expectAirflowSpec(noDag, 'get', '/api/v2/backfills');
    expect((await api.get('/api/v2/backfills?dag_id=bfa&order_by=dag_id')).status).to.equal(400);

    const one = await api.get(`/api/v2/backfills/${id}`, 'viewer');
    expectAirflowSpec(one, 'get', '/api/v2/backfills/{backfill_id}');
    expect(one.body.id).to.equal(id);
    const missing = await api.get('/api/v2/backfills/99999');
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'get', '/api/v2/backfills/{backfill_id}');
    const notInt = await api.get('/api/v2/backfills/abc');
    expect(notInt.status).to.equal(422);
    expectAirflowSpec(notInt, 'get', '/api/v2/backfills/{backfill_id}');
  });

  it('pause, unpause, then cancel (queued runs fail, completed_at set); a completed backfill answers 409', async () => {
    const paused = await api.put(`/api/v2/backfills/${id}/pause`, undefined, 'user');
    expect(paused.status).to.equal(200);
    expectAirflowSpec(paused, 'put', '/api/v2/backfills/{backfill_id}/pause');
    expect(paused.body.is_paused).to.equal(true);
    const unpaused = await api.put(`/api/v2/backfills/${id}/unpause`);
    expectAirflowSpec(unpaused, 'put', '/api/v2/backfills/{backfill_id}/unpause');
    expect(unpaused.body.is_paused).to.equal(false);
    expect((await api.put(`/api/v2/backfills/${id}/pause`, undefined, 'viewer')).status).to.equal(403);

    const cancelled = await api.put(`/api/v2/backfills/${id}/cancel`);
    expectAirflowSpec(cancelled, 'put', '/api/v2/backfills/{backfill_id}/cancel');
    expect(cancelled.body.is_paused).to.equal(true);
    expect(cancelled.body.completed_at).to.be.a('string');
    const states = await rows<{ state: string }>(h.db, 'select distinct state from dag_run where backfill_id = ?', [id]);
    expect(states).to.deep.equal([{ state: 'failed' }]);
    for (const action of ['pause', 'unpause', 'cancel']) {
      const res = await api.put(`/api/v2/backfills/${id}/${action}`);
      expect(res.status, action).to.equal(409);
      expectAirflowSpec(res, 'put', `/api/v2/backfills/{backfill_id}/${action}`);
      expect(res.body.detail).to.equal('Backfill is already completed.');
    }
    const missing = await api.put('/api/v2/backfills/99999/cancel');
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'put', '/api/v2/backfills/{backfill_id}/cancel');
    expect(await eventNames()).to.deep.equal(['create_backfill', 'pause_backfill', 'unpause_backfill', 'cancel_backfill']);
    // Once cancelled, the DAG may be backfilled again.
    const next = await api.post('/api/v2/backfills', { ...BODY, reprocess_behavior: 'failed' });
    expect(next.status).to.equal(200);
  });
});
