/** The http operator against a real HTTP server on loopback. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { Harness } from '../support/harness.ts';

interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }

describe('http operator', function () {
  this.timeout(60_000);
  let h: Harness;
  let server: http.Server;
  const seen: Seen[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        if (req.url?.startsWith('/broken')) { res.writeHead(500); res.end('database is down'); return; }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: req.url !== '/not-ok', path: req.url }));
      });
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
    const port = (server.address() as AddressInfo).port;
    h = await Harness.create();
    await h.db('connection').insert({ conn_id: 'api', conn_type: 'http', host: '127.0.0.1', port, schema: 'http',
      login: 'etl', password: 'pw', extra: JSON.stringify({ 'X-Team': 'data' }) });
    h.writeDag('calls.ts', `
import { DAG, HttpOperator } from 'updraft';
const dag = new DAG({ dag_id: 'calls', schedule: null });
new HttpOperator({ task_id: 'get', dag, http_conn_id: 'api', method: 'GET', endpoint: '/items/{{ params.kind }}', data: { day: '{{ ds }}' } });
new HttpOperator({ task_id: 'post', dag, http_conn_id: 'api', endpoint: 'ingest', data: { rows: 3 }, headers: { 'X-Run': '{{ run_id }}' } });
const checked = new DAG({ dag_id: 'checked', schedule: null });
new HttpOperator({ task_id: 'check', dag: checked, http_conn_id: 'api', method: 'GET', endpoint: '/not-ok', retries: 0,
  response_check: (text) => JSON.parse(text).ok === true });
`);
    h.writeDag('broken_call.yaml', `
dag_id: broken_call
schedule: null
tasks:
  - { id: call, type: http, http_conn_id: api, endpoint: /broken, method: GET }
  - { id: missing, type: http, http_conn_id: no_such_api, endpoint: /x }
`);
    expect(await h.processDags()).to.equal(0);
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => {
    await h?.stop();
    await new Promise((res) => server?.close(res));
  });

  const tryError = async (runId: string, taskId: string) => (await rows<{ error: string | null }>(h.db, `
    select t.error from task_instance_try t join task_instance ti on ti.id = t.ti_id where ti.run_id = ? and ti.task_id = ?`,
  [runId, taskId]))[0]?.error ?? '';

  it('sends GET data as query parameters and POST data as JSON, with the connection\'s headers and auth; the response is the XCom', async () => {
    const run = await h.trigger({ dag_id: 'calls', logical_date: new Date('2026-11-20T00:00:00Z'), conf: { kind: 'books' } });
    expect(await h.waitForRun('calls', run.run_id)).to.equal('success');
    const get = seen.find((s) => s.method === 'GET' && s.url.startsWith('/items'));
    expect(get?.url).to.equal('/items/books?day=2026-11-20');
    const post = seen.find((s) => s.method === 'POST');
    expect(post?.url).to.equal('/ingest');
    expect(JSON.parse(post!.body)).to.deep.equal({ rows: 3 });
    expect(post?.headers['x-team']).to.equal('data');
    expect(post?.headers['x-run']).to.equal(run.run_id);
    expect(post?.headers.authorization).to.equal(`Basic ${Buffer.from('etl:pw').toString('base64')}`);
    const [x] = await rows<{ value: unknown }>(h.db, `select value from xcom where dag_run_id = ? and task_id = 'get'`, [run.id]);
    expect(JSON.parse(x?.value as string)).to.deep.equal({ ok: true, path: '/items/books?day=2026-11-20' });
  });

  it('fails on a non-2xx answer with the status and body, and on an unknown connection with a clear error', async () => {
    const run = await h.trigger({ dag_id: 'broken_call' });
    expect(await h.waitForRun('broken_call', run.run_id)).to.equal('failed');
    expect(await tryError(run.run_id, 'call')).to.include('answered HTTP 500 Internal Server Error: database is down');
    expect(await tryError(run.run_id, 'missing')).to.equal('connection "no_such_api" is not defined');
  });

  it('fails when response_check returns false', async () => {
    const run = await h.trigger({ dag_id: 'checked' });
    expect(await h.waitForRun('checked', run.run_id)).to.equal('failed');
    expect(await tryError(run.run_id, 'check')).to.include('response_check returned false for GET');
  });
});
