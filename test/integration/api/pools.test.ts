/**
 * /api/v2/pools against Airflow's spec: slot counts computed from task instances,
 * create (409 on a duplicate), patch (rename, update_mask, default_pool limits),
 * delete (default_pool refused with 400), list, bulk, roles and the audit trail.
 */
import { expect } from 'chai';
import { rows } from '../../../core/transitions/sql.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec } from '../../support/api.ts';

describe('api: pools', function () {
  this.timeout(30_000);
  let h: Harness;
  let api: ApiClient;

  before(async () => {
    h = await Harness.create();
    api = await ApiClient.start(h);
  });
  after(async () => { await h.stop(); });

  it('POST creates (201, 409 when it exists); GET counts running, queued, scheduled slots from task instances', async () => {
    const created = await api.post('/api/v2/pools', { name: 'etl', slots: 10, description: 'loads' }, 'op');
    expect(created.status).to.equal(201);
    expectAirflowSpec(created, 'post', '/api/v2/pools');
    expect(created.body).to.include({ name: 'etl', slots: 10, occupied_slots: 0, open_slots: 10, include_deferred: false });
    const dup = await api.post('/api/v2/pools', { name: 'etl', slots: 1 }, 'op');
    expect(dup.status).to.equal(409);
    expectAirflowSpec(dup, 'post', '/api/v2/pools');

    h.writeDag('pooled.ts', `import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'pooled', schedule: null, start_date: '2026-01-01' });
new EmptyOperator({ task_id: 'a', dag, pool: 'etl', pool_slots: 2 });
new EmptyOperator({ task_id: 'b', dag, pool: 'etl', pool_slots: 3 });
new EmptyOperator({ task_id: 'c', dag, pool: 'etl' });
new EmptyOperator({ task_id: 'd', dag, pool: 'etl' });
`);
    await h.processDags();
    const run = await h.trigger({ dag_id: 'pooled' });
    const set = (task: string, state: string) => h.db.raw('update task_instance set state = ? where run_id = ? and task_id = ?', [state, run.run_id, task]);
    await set('a', 'running');
    await set('b', 'queued');
    await set('c', 'scheduled');
    await set('d', 'success');
    const got = await api.get('/api/v2/pools/etl', 'viewer');
    expectAirflowSpec(got, 'get', '/api/v2/pools/{pool_name}');
    expect(got.body).to.include({ running_slots: 2, queued_slots: 3, scheduled_slots: 1, deferred_slots: 0, occupied_slots: 5, open_slots: 5 });
    const missing = await api.get('/api/v2/pools/nope');
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'get', '/api/v2/pools/{pool_name}');
    expect(missing.body.detail).to.equal('The Pool with name: `nope` was not found');
  });

  it('lists with default_pool, paging, a name pattern and order_by', async () => {
    await api.post('/api/v2/pools', { name: 'etl_small', slots: 1 }, 'op');
    const all = await api.get('/api/v2/pools', 'viewer');
    expectAirflowSpec(all, 'get', '/api/v2/pools');
    expect(all.body.pools.map((p: { name: string }) => p.name)).to.deep.equal(['default_pool', 'etl', 'etl_small']);
    expect(all.body.pools[0].slots).to.equal(128);
    const page = await api.get('/api/v2/pools?pool_name_pattern=etl&order_by=-name&limit=1&offset=1');
    expectAirflowSpec(page, 'get', '/api/v2/pools');
    expect(page.body).to.deep.include({ total_entries: 2 });
    expect(page.body.pools.map((p: { name: string }) => p.name)).to.deep.equal(['etl']);
    expect(page.body.pools[0].running_slots).to.equal(2);
    const injection = await api.get(`/api/v2/pools?pool_name_pattern=${encodeURIComponent("x' or '1'='1")}`);
    expect(injection.body.total_entries).to.equal(0);
  });

  it('PATCH changes slots (update_mask), renames a pool; default_pool keeps its name and cannot be deleted (400)', async () => {
    const slots = await api.patch('/api/v2/pools/etl?update_mask=slots', { slots: 4, description: 'ignored' }, 'op');
    expect(slots.status).to.equal(200);
    expectAirflowSpec(slots, 'patch', '/api/v2/pools/{pool_name}');
    expect(slots.body).to.include({ slots: 4, description: 'loads', open_slots: -1 });
    const renamed = await api.patch('/api/v2/pools/etl_small', { pool: 'tiny' }, 'op');
    expectAirflowSpec(renamed, 'patch', '/api/v2/pools/{pool_name}');
    expect(renamed.body.name).to.equal('tiny');
    expect((await api.get('/api/v2/pools/etl_small')).status).to.equal(404);
    const clash = await api.patch('/api/v2/pools/tiny', { pool: 'etl' }, 'op');
    expect(clash.status).to.equal(409);
    const def = await api.patch('/api/v2/pools/default_pool', { slots: 64 }, 'op');
    expectAirflowSpec(def, 'patch', '/api/v2/pools/{pool_name}');
    expect(def.body.slots).to.equal(64);
    const defRename = await api.patch('/api/v2/pools/default_pool', { pool: 'other' }, 'op');
    expect(defRename.status).to.equal(400);
    expectAirflowSpec(defRename, 'patch', '/api/v2/pools/{pool_name}');
    const defDelete = await api.delete('/api/v2/pools/default_pool', 'op');
    expect(defDelete.status).to.equal(400);
    expectAirflowSpec(defDelete, 'delete', '/api/v2/pools/{pool_name}');
    expect(defDelete.body.detail).to.equal('Default Pool can\'t be deleted');
    const unknown = await api.patch('/api/v2/pools/ghost', { slots: 1 }, 'op');
    expect(unknown.status).to.equal(404);
    expectAirflowSpec(unknown, 'patch', '/api/v2/pools/{pool_name}');
  });

  it('validates with 422: negative or unlimited slots, a missing name, unknown fields', async () => {
    for (const bad of [{ name: 'p', slots: -1 }, { name: 'p', slots: -5 }, { slots: 3 }, { name: 'p', slots: 1, size: 2 }, { name: 'p', slots: 'many' }]) {
      const res = await api.post('/api/v2/pools', bad, 'op');
      expect(res.status, JSON.stringify(bad)).to.equal(422);
      expectAirflowSpec(res, 'post', '/api/v2/pools');
    }
    const patch = await api.patch('/api/v2/pools/tiny', { slots: -1 }, 'op');
    expect(patch.status).to.equal(422);
    expectAirflowSpec(patch, 'patch', '/api/v2/pools/{pool_name}');
  });

  it('needs op to change (a user gets 403), bulk PATCH, DELETE 204 then 404, and every change is audited', async () => {
    const forbidden = await api.post('/api/v2/pools', { name: 'mine', slots: 1 }, 'user');
    expect(forbidden.status).to.equal(403);
    expectAirflowSpec(forbidden, 'post', '/api/v2/pools');
    const bulk = await api.patch('/api/v2/pools', { actions: [
      { action: 'create', entities: [{ name: 'b1', slots: 2 }] },
      { action: 'update', entities: [{ name: 'b1', slots: 5 }] },
      { action: 'delete', entities: ['default_pool'] },
    ] }, 'op');
    expectAirflowSpec(bulk, 'patch', '/api/v2/pools');
    expect(bulk.body.create.success).to.deep.equal(['b1']);
    expect(bulk.body.update.success).to.deep.equal(['b1']);
    expect(bulk.body.delete.errors[0]).to.deep.equal({ error: 'Default Pool can\'t be deleted', status_code: 400 });
    expect((await api.get('/api/v2/pools/b1')).body.slots).to.equal(5);
    const del = await api.delete('/api/v2/pools/b1', 'op');
    expect(del.status).to.equal(204);
    expectAirflowSpec(del, 'delete', '/api/v2/pools/{pool_name}');
    expect((await api.delete('/api/v2/pools/b1', 'op')).status).to.equal(404);
    const events = (await rows<{ event: string }>(h.db, `select event from event_log where event like '%pool%'`)).map((e) => e.event);
    expect(events).to.include.members(['post_pool', 'patch_pool', 'delete_pool', 'bulk_pools']);
  });
});
