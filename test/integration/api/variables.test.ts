/**
 * /api/v2/variables against Airflow's spec: create (409 on a duplicate), get, patch
 * (with update_mask), delete, list with key pattern, paging and order_by, bulk PATCH,
 * secret-looking values masked, op role needed for changes, every change audited, and
 * values encrypted at rest when a Fernet key is set.
 */
import { expect } from 'chai';
import { rows } from '../../../core/transitions/sql.ts';
import { getVariable } from '../../../core/variables/variables.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec } from '../../support/api.ts';

const FERNET = 'ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=';

describe('api: variables', function () {
  this.timeout(30_000);
  let h: Harness;
  let api: ApiClient;

  before(async () => {
    h = await Harness.create({ env: { UPDRAFT_FERNET_KEY: FERNET } });
    api = await ApiClient.start(h);
  });
  after(async () => { await h.stop(); });

  it('POST creates (201), a second POST of the key is a 409, GET reads it back; the value is encrypted at rest', async () => {
    const created = await api.post('/api/v2/variables', { key: 'region', value: 'eu-west', description: 'where' }, 'op');
    expect(created.status).to.equal(201);
    expectAirflowSpec(created, 'post', '/api/v2/variables');
    expect(created.body).to.deep.equal({ key: 'region', value: 'eu-west', description: 'where', is_encrypted: true });
    const dup = await api.post('/api/v2/variables', { key: 'region', value: 'x' }, 'op');
    expect(dup.status).to.equal(409);
    expectAirflowSpec(dup, 'post', '/api/v2/variables');
    expect(dup.body.detail).to.include('region');
    const got = await api.get('/api/v2/variables/region', 'viewer');
    expectAirflowSpec(got, 'get', '/api/v2/variables/{variable_key}');
    expect(got.body.value).to.equal('eu-west');
    const [raw] = await rows<{ val: string }>(h.db, `select val from variable where key = 'region'`);
    expect(raw!.val).to.not.include('eu-west');
    // JSON values are stored as JSON text, as Airflow's serialize_json.
    const json = await api.post('/api/v2/variables', { key: 'limits', value: { max: 3, list: [1, 2] } }, 'op');
    expectAirflowSpec(json, 'post', '/api/v2/variables');
    expect(JSON.parse(json.body.value)).to.deep.equal({ max: 3, list: [1, 2] });
  });

  it('masks values of secret-looking keys and secret keys inside JSON values, but keeps them intact in storage', async () => {
    await api.post('/api/v2/variables', { key: 'stripe_api_key', value: 'sk_live_123' }, 'op');
    await api.post('/api/v2/variables', { key: 'MY_PASSWORD', value: '12345' }, 'op');
    await api.post('/api/v2/variables', { key: 'svc', value: { user: 'bob', password: 'hunter2', nested: { token: 't' } } }, 'op');
    for (const key of ['stripe_api_key', 'MY_PASSWORD']) {
      const res = await api.get(`/api/v2/variables/${key}`);
      expectAirflowSpec(res, 'get', '/api/v2/variables/{variable_key}');
      expect(res.body.value).to.equal('***');
    }
    const svc = await api.get('/api/v2/variables/svc');
    expect(JSON.parse(svc.body.value)).to.deep.equal({ user: 'bob', password: '***', nested: { token: '***' } });
    const listed = await api.get('/api/v2/variables?variable_key_pattern=api_key');
    expect(listed.body.variables.map((v: { value: string }) => v.value)).to.deep.equal(['***']);
    expect(await getVariable(h.db, 'stripe_api_key', FERNET)).to.equal('sk_live_123');
  });

  it('lists with paging, total_entries, order_by (- for descending), a key pattern with | and rejects unknown order fields', async () => {
    for (const k of ['zz_a', 'zz_b', 'zz_c']) await api.post('/api/v2/variables', { key: k, value: k }, 'op');
    const page = await api.get('/api/v2/variables?variable_key_pattern=zz&limit=2&offset=1&order_by=-key', 'viewer');
    expect(page.status).to.equal(200);
    expectAirflowSpec(page, 'get', '/api/v2/variables');
    expect(page.body.total_entries).to.equal(3);
    expect(page.body.variables.map((v: { key: string }) => v.key)).to.deep.equal(['zz_b', 'zz_a']);
    const either = await api.get('/api/v2/variables?variable_key_pattern=zz_a%20|%20region');
    expect(either.body.variables.map((v: { key: string }) => v.key).sort()).to.deep.equal(['region', 'zz_a']);
    const injection = await api.get(`/api/v2/variables?variable_key_pattern=${encodeURIComponent("' or 1=1 --")}`);
    expectAirflowSpec(injection, 'get', '/api/v2/variables');
    expect(injection.body.total_entries).to.equal(0);
    const badOrder = await api.get('/api/v2/variables?order_by=val;drop table variable');
    expect(badOrder.status).to.equal(400);
    const huge = await api.get('/api/v2/variables?limit=100000');
    expect(huge.status).to.equal(200);
    const negative = await api.get('/api/v2/variables?limit=-1');
    expect(negative.status).to.equal(422);
    expectAirflowSpec(negative, 'get', '/api/v2/variables');
  });

  it('PATCH updates (update_mask limits the fields), 400 on a key mismatch, 404 on an unknown key; DELETE 204 then 404', async () => {
    await api.post('/api/v2/variables', { key: 'editme', value: 'v1', description: 'd1' }, 'op');
    const masked = await api.patch('/api/v2/variables/editme?update_mask=description', { key: 'editme', value: 'ignored', description: 'd2' }, 'op');
    expectAirflowSpec(masked, 'patch', '/api/v2/variables/{variable_key}');
    expect(masked.body).to.include({ value: 'v1', description: 'd2' });
    const full = await api.patch('/api/v2/variables/editme', { key: 'editme', value: 'v2' }, 'op');
    expectAirflowSpec(full, 'patch', '/api/v2/variables/{variable_key}');
    expect(full.body).to.include({ value: 'v2', description: null });
    const mismatch = await api.patch('/api/v2/variables/editme', { key: 'other', value: 'x' }, 'op');
    expect(mismatch.status).to.equal(400);
    expectAirflowSpec(mismatch, 'patch', '/api/v2/variables/{variable_key}');
    const missing = await api.patch('/api/v2/variables/ghost', { key: 'ghost', value: 'x' }, 'op');
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'patch', '/api/v2/variables/{variable_key}');
    expect(missing.body.detail).to.equal('The Variable with key: `ghost` was not found');
    const del = await api.delete('/api/v2/variables/editme', 'op');
    expect(del.status).to.equal(204);
    expectAirflowSpec(del, 'delete', '/api/v2/variables/{variable_key}');
    const gone = await api.delete('/api/v2/variables/editme', 'op');
    expect(gone.status).to.equal(404);
    expectAirflowSpec(gone, 'delete', '/api/v2/variables/{variable_key}');
    expectAirflowSpec(await api.get('/api/v2/variables/editme'), 'get', '/api/v2/variables/{variable_key}');
  });

  it('validates bodies with 422 (missing value, unknown field, empty key) and malformed JSON with 400', async () => {
    const noValue = await api.post('/api/v2/variables', { key: 'k' }, 'op');
    expect(noValue.status).to.equal(422);
    expectAirflowSpec(noValue, 'post', '/api/v2/variables');
    expect(noValue.body.detail[0].loc).to.deep.equal(['body', 'value']);
    const extra = await api.post('/api/v2/variables', { key: 'k', value: 'v', val: 'typo' }, 'op');
    expect(extra.status).to.equal(422);
    const empty = await api.post('/api/v2/variables', { key: '', value: 'v' }, 'op');
    expect(empty.status).to.equal(422);
    const malformed = await api.request('POST', '/api/v2/variables', { rawBody: '{"key": "k", ', role: 'op' });
    expect(malformed.status).to.equal(400);
  });

  it('a user may read but not write (403), no token is a 401', async () => {
    const read = await api.get('/api/v2/variables', 'user');
    expectAirflowSpec(read, 'get', '/api/v2/variables');
    const write = await api.post('/api/v2/variables', { key: 'nope', value: 'v' }, 'user');
    expect(write.status).to.equal(403);
    expectAirflowSpec(write, 'post', '/api/v2/variables');
    expect((await api.delete('/api/v2/variables/region', 'viewer')).status).to.equal(403);
    const anon = await api.get('/api/v2/variables', null);
    expect(anon.status).to.equal(401);
    expectAirflowSpec(anon, 'get', '/api/v2/variables');
    expect(await getVariable(h.db, 'nope', FERNET)).to.equal(undefined);
  });

  it('bulk PATCH creates, updates and deletes with Airflow\'s existence rules, each action on its own', async () => {
    await api.post('/api/v2/variables', { key: 'b_old', value: '1' }, 'op');
    const res = await api.patch('/api/v2/variables', { actions: [
      { action: 'create', entities: [{ key: 'b_new', value: 'n' }, { key: 'b_old', value: 'o2' }], action_on_existence: 'overwrite' },
      { action: 'create', entities: [{ key: 'b_fail', value: 'x' }, { key: 'b_old', value: 'x' }] },
      { action: 'update', entities: [{ key: 'b_none', value: 'x' }], action_on_non_existence: 'skip' },
      { action: 'delete', entities: ['b_new', 'b_missing'] },
    ] }, 'op');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'patch', '/api/v2/variables');
    expect(res.body.create.success).to.deep.equal(['b_new', 'b_old']);
    expect(res.body.create.errors).to.have.length(1);
    expect(res.body.create.errors[0].status_code).to.equal(409);
    expect(res.body.update).to.deep.equal({ success: [], errors: [] });
    expect(res.body.delete.errors[0]).to.include({ status_code: 404 });
    expect(res.body.delete.success).to.deep.equal([]);
    expect(await getVariable(h.db, 'b_old', FERNET)).to.equal('o2');
    expect(await getVariable(h.db, 'b_fail', FERNET)).to.equal(undefined);
    expect(await getVariable(h.db, 'b_new', FERNET)).to.equal('n'); // the failed delete rolled back as a whole
    const bad = await api.patch('/api/v2/variables', { actions: [{ action: 'explode', entities: [] }] }, 'op');
    expect(bad.status).to.equal(422);
    expectAirflowSpec(bad, 'patch', '/api/v2/variables');
  });

  it('records every change in the event log with the user, never the value', async () => {
    const events = await rows<{ event: string; owner: string; extra: string }>(h.db,
      `select event, owner, extra from event_log where event like '%variable%' order by id`);
    const names = events.map((e) => e.event);
    expect(names).to.include.members(['post_variable', 'patch_variable', 'delete_variable', 'bulk_variables']);
    expect(events.every((e) => e.owner === 'op')).to.equal(true);
    expect(events.map((e) => e.extra).join(' ')).to.not.include('sk_live_123').and.not.include('hunter2');
  });
});
