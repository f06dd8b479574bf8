/**
 * The api-server's frame: tokens from /auth/token, bearer authentication and roles,
 * the public monitor/health and version, and bad requests answered with a clear status
 * and `{"detail"}` (never a 500 or a stack trace).
 */
import { expect } from 'chai';
import { rows } from '../../../core/transitions/sql.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec, passwordOf } from '../../support/api.ts';

describe('api: auth, monitor and bad requests', function () {
  this.timeout(30_000);
  let h: Harness;
  let api: ApiClient;

  before(async () => {
    h = await Harness.create();
    api = await ApiClient.start(h);
  });
  after(async () => { await h.stop(); });

  it('POST /auth/token gives a JWT for a right password (201) and a 401 for a wrong one or an unknown user', async () => {
    const ok = await api.post('/auth/token', { username: 'viewer', password: passwordOf('viewer') }, null);
    expect(ok.status).to.equal(201);
    expect(ok.body.access_token).to.match(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const version = await api.request('GET', '/api/v2/dags', { role: null, headers: { authorization: `Bearer ${ok.body.access_token}` } });
    expect(version.status).to.not.equal(401);
    for (const creds of [{ username: 'viewer', password: 'nope-nope' }, { username: 'ghost', password: 'whatever1' }]) {
      const bad = await api.post('/auth/token', creds, null);
      expect(bad.status).to.equal(401);
      expect(bad.body).to.deep.equal({ detail: 'Invalid username or password' });
    }
    const missing = await api.post('/auth/token', { username: 'viewer' }, null);
    expect(missing.status).to.equal(422);
    expect(missing.body.detail[0].loc).to.deep.equal(['body', 'password']);
    const [login] = await rows<{ owner: string }>(h.db, `select owner from event_log where event = 'login'`);
    expect(login?.owner).to.equal('viewer');
  });

  it('every /api/v2 route needs a valid bearer token: none, garbage or a forged one is a 401', async () => {
    expect((await api.get('/api/v2/dags', null)).status).to.equal(401);
    const garbage = await api.request('GET', '/api/v2/dags', { role: null, headers: { authorization: 'Bearer abc.def.ghi' } });
    expect(garbage.status).to.equal(401);
    expect(garbage.body).to.deep.equal({ detail: 'Invalid or expired token' });
    const forged = (await api.token('viewer')).replace(/\.[^.]+$/, '.AAAA');
    expect((await api.request('GET', '/api/v2/dags', { role: null, headers: { authorization: `Bearer ${forged}` } })).status).to.equal(401);
  });

  it('monitor/health and version are public and match Airflow\'s spec', async () => {
    const health = await api.get('/api/v2/monitor/health', null);
    expect(health.status).to.equal(200);
    expectAirflowSpec(health, 'get', '/api/v2/monitor/health');
    expect(health.body.metadatabase.status).to.equal('healthy');
    const version = await api.get('/api/v2/version', null);
    expectAirflowSpec(version, 'get', '/api/v2/version');
    expect(version.body.version).to.match(/^\d+\.\d+\.\d+/);
  });

  it('malformed JSON is a 400, an oversized body a 413, an unknown route a 404: always {"detail"}, never a stack', async () => {
    const malformed = await api.request('POST', '/auth/token', { rawBody: '{"username": ', role: null });
    expect(malformed.status).to.equal(400);
    expect(malformed.body.detail).to.match(/^Malformed JSON/);
    const huge = await api.request('POST', '/auth/token', { rawBody: JSON.stringify({ username: 'x'.repeat(2_000_000), password: 'y' }), role: null });
    expect(huge.status).to.equal(413);
    expect(huge.body).to.deep.equal({ detail: 'The request body is too large' });
    const unknown = await api.get('/api/v2/no/such/thing');
    expect(unknown.status).to.equal(404);
    expect(unknown.text).to.not.match(/at .*\.ts:\d+/);
  });
});
