/**
 * /api/v2/config (admin only, secrets "< hidden >", JSON or text/plain, one option,
 * 404/406) and /api/v2/openapi.json (public; Airflow's operations that Updraft serves,
 * and only those, plus /auth/token).
 */
import { expect } from 'chai';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec } from '../../support/api.ts';

const FERNET = 'ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=';
const API_KEY = 'my-very-secret-signing-key';

describe('api: config and openapi.json', function () {
  this.timeout(30_000);
  let h: Harness;
  let api: ApiClient;

  before(async () => {
    h = await Harness.create({ env: { UPDRAFT_FERNET_KEY: FERNET, UPDRAFT_API_SECRET_KEY: API_KEY } });
    // A password in the database URL, to see it hidden (the URL is only shown, not used, by /config).
    h.config.databaseUrl = h.config.databaseUrl.replace('://updraft@', '://updraft:db-pass-123@');
    api = await ApiClient.start(h);
  });
  after(async () => { await h.stop(); });

  const option = (body: { sections: Array<{ name: string; options: Array<{ key: string; value: string }> }> }, s: string, k: string) =>
    body.sections.find((x) => x.name === s)?.options.find((o) => o.key === k)?.value;

  it('GET /config gives every section to an admin, secrets hidden', async () => {
    const res = await api.get('/api/v2/config');
    expect(res.status).to.equal(200);
    expectAirflowSpec(res, 'get', '/api/v2/config');
    expect(option(res.body, 'core', 'dags_folder')).to.equal(h.dagsFolder);
    expect(option(res.body, 'core', 'fernet_key')).to.equal('< hidden >');
    expect(option(res.body, 'api', 'secret_key')).to.equal('< hidden >');
    expect(option(res.body, 'database', 'database_url')).to.match(/^postgres:\/\/updraft:< hidden >@127\.0\.0\.1/);
    expect(res.text).to.not.include(FERNET).and.not.include(API_KEY).and.not.include('db-pass-123');
    const section = await api.get('/api/v2/config?section=scheduler');
    expectAirflowSpec(section, 'get', '/api/v2/config');
    expect(section.body.sections.map((s: { name: string }) => s.name)).to.deep.equal(['scheduler']);
    const noSection = await api.get('/api/v2/config?section=nope');
    expect(noSection.status).to.equal(404);
    expectAirflowSpec(noSection, 'get', '/api/v2/config');
  });

  it('answers text/plain in ini form, and 406 for a type it cannot give', async () => {
    const text = await api.request('GET', '/api/v2/config', { headers: { accept: 'text/plain' } });
    expect(text.status).to.equal(200);
    expect(text.headers.get('content-type')).to.match(/^text\/plain/);
    expect(text.text).to.match(/^\[core\]\nhome = /);
    expect(text.text).to.include('fernet_key = < hidden >\n');
    expect(text.text).to.not.include(FERNET);
    const xml = await api.request('GET', '/api/v2/config', { headers: { accept: 'application/xml' } });
    expect(xml.status).to.equal(406);
    expectAirflowSpec(xml, 'get', '/api/v2/config');
  });

  it('GET one option; 404 for an unknown one', async () => {
    const res = await api.get('/api/v2/config/section/api/option/token_expiry');
    expectAirflowSpec(res, 'get', '/api/v2/config/section/{section}/option/{option}');
    expect(res.body).to.deep.equal({ sections: [{ name: 'api', options: [{ key: 'token_expiry', value: '86400' }] }] });
    const hidden = await api.get('/api/v2/config/section/core/option/fernet_key');
    expect(option(hidden.body, 'core', 'fernet_key')).to.equal('< hidden >');
    const missing = await api.get('/api/v2/config/section/core/option/nope');
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'get', '/api/v2/config/section/{section}/option/{option}');
    expect(missing.body.detail).to.equal('Option [core/nope] not found.');
  });

  it('is for admins only: a viewer or an op gets 403, no token 401', async () => {
    for (const role of ['viewer', 'op'] as const) {
      const res = await api.get('/api/v2/config', role);
      expect(res.status).to.equal(403);
      expectAirflowSpec(res, 'get', '/api/v2/config');
    }
    expect((await api.get('/api/v2/config/section/core/option/home', 'user')).status).to.equal(403);
    expect((await api.get('/api/v2/config', null)).status).to.equal(401);
  });

  it('serves openapi.json without a token: the operations Updraft has, not those it lacks, plus /auth/token', async () => {
    const res = await api.get('/api/v2/openapi.json', null);
    expect(res.status).to.equal(200);
    expect(res.body.openapi).to.match(/^3\.1/);
    expect(res.body.info.title).to.equal('Updraft API');
    const paths = res.body.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths['/api/v2/variables']!).sort()).to.deep.equal(['get', 'patch', 'post']);
    expect(paths['/api/v2/variables/{variable_key}']).to.have.keys('get', 'patch', 'delete');
    expect(paths['/api/v2/eventLogs/{event_log_id}']).to.have.keys('get');
    expect(paths['/api/v2/monitor/health']).to.have.keys('get');
    expect(paths['/auth/token']).to.have.keys('post');
    // Airflow has them; Updraft does not serve them.
    expect(paths).to.not.have.property('/api/v2/plugins');
    expect(paths).to.not.have.property('/api/v2/connections/test');
    expect(paths).to.not.have.property('/api/v2/connections/defaults');
    // Every $ref still resolves: components are Airflow's.
    const refs = [...res.text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    for (const ref of new Set(refs)) expect(res.body.components.schemas, ref).to.have.property(ref);
  });
});
