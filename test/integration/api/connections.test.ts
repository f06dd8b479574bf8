/**
 * /api/v2/connections against Airflow's spec: a password is never in any response,
 * secret keys of extra are masked, "***" sent back keeps the stored secret, 409 on a
 * duplicate, 404/422/403, list with pattern and paging, bulk PATCH, audit.
 */
import { expect } from 'chai';
import { getStoredConnection } from '../../../core/connections/manage-connections.ts';
import { rows } from '../../../core/transitions/sql.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec } from '../../support/api.ts';

const SECRET = 'S3cr3t-pw!';

describe('api: connections', function () {
  this.timeout(30_000);
  let h: Harness;
  let api: ApiClient;
  const base = {
    connection_id: 'warehouse', conn_type: 'postgres', host: 'db.example.com', port: 5432, login: 'etl',
    schema: 'dw', password: SECRET, extra: JSON.stringify({ sslmode: 'require', api_key: 'k-123' }), description: 'the DW',
  };

  before(async () => {
    h = await Harness.create();
    api = await ApiClient.start(h);
  });
  after(async () => { await h.stop(); });

  it('POST creates (201) without echoing the password; GET and list never contain it; 409 on a duplicate', async () => {
    const created = await api.post('/api/v2/connections', base, 'op');
    expect(created.status).to.equal(201);
    expectAirflowSpec(created, 'post', '/api/v2/connections');
    expect(created.body).to.include({ connection_id: 'warehouse', conn_type: 'postgres', host: 'db.example.com', port: 5432, password: '***' });
    expect(JSON.parse(created.body.extra)).to.deep.equal({ sslmode: 'require', api_key: '***' });
    const got = await api.get('/api/v2/connections/warehouse', 'viewer');
    expectAirflowSpec(got, 'get', '/api/v2/connections/{connection_id}');
    const listed = await api.get('/api/v2/connections', 'viewer');
    expectAirflowSpec(listed, 'get', '/api/v2/connections');
    for (const r of [created, got, listed]) {
      expect(r.text).to.not.include(SECRET);
      expect(r.text).to.not.include('k-123');
    }
    const dup = await api.post('/api/v2/connections', base, 'op');
    expect(dup.status).to.equal(409);
    expectAirflowSpec(dup, 'post', '/api/v2/connections');
    const stored = await getStoredConnection(h.db, 'warehouse', undefined);
    expect(stored!.password).to.equal(SECRET);
  });

  it('PATCH keeps secrets sent back as "***", update_mask limits the fields; 400 on an id mismatch, 404 when unknown', async () => {
    const read = (await api.get('/api/v2/connections/warehouse')).body;
    const patched = await api.patch('/api/v2/connections/warehouse', { ...read, host: 'db2.example.com', team_name: undefined }, 'op');
    expect(patched.status).to.equal(200);
    expectAirflowSpec(patched, 'patch', '/api/v2/connections/{connection_id}');
    expect(patched.body.host).to.equal('db2.example.com');
    let stored = await getStoredConnection(h.db, 'warehouse', undefined);
    expect(stored!.password).to.equal(SECRET);
    expect(JSON.parse(stored!.extra!)).to.deep.equal({ sslmode: 'require', api_key: 'k-123' });
    const masked = await api.patch('/api/v2/connections/warehouse?update_mask=login', { connection_id: 'warehouse', conn_type: 'http', login: 'loader' }, 'op');
    expectAirflowSpec(masked, 'patch', '/api/v2/connections/{connection_id}');
    expect(masked.body).to.include({ conn_type: 'postgres', login: 'loader', host: 'db2.example.com' });
    stored = await getStoredConnection(h.db, 'warehouse', undefined);
    expect(stored!.password).to.equal(SECRET);
    const mismatch = await api.patch('/api/v2/connections/warehouse', { connection_id: 'other', conn_type: 'http' }, 'op');
    expect(mismatch.status).to.equal(400);
    expectAirflowSpec(mismatch, 'patch', '/api/v2/connections/{connection_id}');
    const missing = await api.patch('/api/v2/connections/ghost', { connection_id: 'ghost', conn_type: 'http' }, 'op');
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'patch', '/api/v2/connections/{connection_id}');
    const badMask = await api.patch('/api/v2/connections/warehouse?update_mask=password_hash', { connection_id: 'warehouse', conn_type: 'x' }, 'op');
    expect(badMask.status).to.equal(400);
  });

  it('validates bodies with 422: a bad connection_id, extra that is not a JSON object, a string port', async () => {
    for (const bad of [
      { connection_id: 'has space', conn_type: 'http' },
      { connection_id: 'ok_id', conn_type: 'http', extra: '[1, 2]' },
      { connection_id: 'ok_id', conn_type: 'http', extra: '{not json' },
      { connection_id: 'ok_id', conn_type: 'http', port: 'eighty' },
      { connection_id: 'ok_id' },
    ]) {
      const res = await api.post('/api/v2/connections', bad, 'op');
      expect(res.status, JSON.stringify(bad)).to.equal(422);
      expectAirflowSpec(res, 'post', '/api/v2/connections');
    }
    expect((await api.get('/api/v2/connections/ok_id')).status).to.equal(404);
  });

  it('lists with a pattern, paging and order_by; writes need op (a user gets 403)', async () => {
    for (const id of ['http_a', 'http_b', 'http_c']) {
      expect((await api.post('/api/v2/connections', { connection_id: id, conn_type: 'http' }, 'op')).status).to.equal(201);
    }
    const page = await api.get('/api/v2/connections?connection_id_pattern=http_&order_by=-connection_id&limit=2', 'viewer');
    expectAirflowSpec(page, 'get', '/api/v2/connections');
    expect(page.body.total_entries).to.equal(3);
    expect(page.body.connections.map((c: { connection_id: string }) => c.connection_id)).to.deep.equal(['http_c', 'http_b']);
    expect(page.body.connections[0].password).to.equal(null);
    const forbidden = await api.post('/api/v2/connections', { connection_id: 'x', conn_type: 'http' }, 'user');
    expect(forbidden.status).to.equal(403);
    expectAirflowSpec(forbidden, 'post', '/api/v2/connections');
    expect((await api.delete('/api/v2/connections/http_a', 'user')).status).to.equal(403);
    expect((await api.get('/api/v2/connections', null)).status).to.equal(401);
    const badOrder = await api.get('/api/v2/connections?order_by=password');
    expect(badOrder.status).to.equal(400);
  });

  it('bulk PATCH and DELETE (204, then 404); every change is audited without secrets', async () => {
    const bulk = await api.patch('/api/v2/connections', { actions: [
      { action: 'create', entities: [{ connection_id: 'bulk_1', conn_type: 'http', password: 'bulk-pw' }] },
      { action: 'delete', entities: ['http_a', 'http_b'] },
    ] }, 'op');
    expectAirflowSpec(bulk, 'patch', '/api/v2/connections');
    expect(bulk.body.create.success).to.deep.equal(['bulk_1']);
    expect(bulk.body.delete.success).to.deep.equal(['http_a', 'http_b']);
    const del = await api.delete('/api/v2/connections/bulk_1', 'op');
    expect(del.status).to.equal(204);
    expectAirflowSpec(del, 'delete', '/api/v2/connections/{connection_id}');
    const again = await api.delete('/api/v2/connections/bulk_1', 'op');
    expect(again.status).to.equal(404);
    expectAirflowSpec(again, 'delete', '/api/v2/connections/{connection_id}');
    expect(again.body.detail).to.equal('The Connection with connection_id: `bulk_1` was not found');
    const events = await rows<{ event: string; extra: string }>(h.db, `select event, extra from event_log where event like '%connection%'`);
    expect(events.map((e) => e.event)).to.include.members(['post_connection', 'patch_connection', 'delete_connection', 'bulk_connections']);
    const all = events.map((e) => e.extra).join(' ');
    expect(all).to.not.include(SECRET);
    expect(all).to.not.include('bulk-pw');
  });
});
