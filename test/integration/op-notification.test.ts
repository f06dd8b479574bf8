/** The notification operator end to end: channels as connections (slack, webhook, log) against a local HTTP server. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { Harness } from '../support/harness.ts';

interface Received { path: string; headers: http.IncomingHttpHeaders; body: unknown }

describe('notification operator', function () {
  this.timeout(60_000);
  let h: Harness;
  let server: http.Server;
  let base: string;
  const received: Received[] = [];

  const errorOfTask = async (runId: string, taskId: string) => (await rows<{ error: string | null }>(h.db, `
    select t.error from task_instance_try t join task_instance ti on ti.id = t.ti_id
    where ti.run_id = ? and ti.task_id = ?`, [runId, taskId]))[0]?.error;

  before(async () => {
    server = http.createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => { data += c.toString(); });
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(data || 'null') });
        if (req.url?.startsWith('/broken')) { res.writeHead(500); res.end('invalid_payload: the channel is archived'); return; }
        res.writeHead(200); res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    h = await Harness.create();
    await h.db('connection').insert([
      { conn_id: 'slack', conn_type: 'slack', host: `${base}/services/T000/B000/XXX` },
      { conn_id: 'ops_hook', conn_type: 'webhook', host: base, login: 'u', password: 'p', extra: JSON.stringify({ endpoint: '/hooks/ops', headers: { 'x-team': 'data' } }) },
      { conn_id: 'audit', conn_type: 'log' },
      { conn_id: 'broken', conn_type: 'slack', host: `${base}/broken` },
      { conn_id: 'mail', conn_type: 'smtp', host: 'localhost' },
    ]);
    h.writeDag('notify.json', JSON.stringify({
      dag_id: 'notify', tasks: [
        { id: 'to_slack', type: 'notification', channel: 'slack', message: 'loaded {{ ds }} for {{ params.team }}' },
        { id: 'to_webhook', type: 'notification', channel: 'ops', conn_id: 'ops_hook', message: 'run ${execution_date}' },
        { id: 'to_log', type: 'notification', channel: 'audit', message: 'audited {{ run_id }}' },
      ], params: { team: 'finance' },
    }));
    h.writeDag('notify_fail.json', JSON.stringify({
      dag_id: 'notify_fail', tasks: [
        { id: 'missing', type: 'notification', channel: 'teams', message: 'hi' },
        { id: 'http_500', type: 'notification', channel: 'broken', message: 'hi' },
        { id: 'wrong_type', type: 'notification', channel: 'email', conn_id: 'mail', message: 'hi' },
      ],
    }));
    await h.processDags();
    await h.startScheduler();
    await h.startWorker();
  });
  after(async () => {
    await h.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('posts to slack and webhook connections and writes to the log channel', async () => {
    const run = await h.trigger({ dag_id: 'notify', logical_date: new Date('2026-11-20T00:00:00Z') });
    expect(await h.waitForRun('notify', run.run_id)).to.equal('success');
    const slack = received.find((r) => r.path.startsWith('/services'));
    expect(slack).to.deep.include({ path: '/services/T000/B000/XXX', body: { text: 'loaded 2026-11-20 for finance' } });
    expect(slack!.headers['content-type']).to.equal('application/json');
    const hook = received.find((r) => r.path === '/hooks/ops');
    expect(hook?.body).to.deep.equal({
      text: 'run 2026-11-20', dag_id: 'notify', task_id: 'to_webhook', run_id: run.run_id, logical_date: '2026-11-20T00:00:00.000Z',
    });
    expect(hook!.headers['x-team']).to.equal('data');
    expect(hook!.headers.authorization).to.equal(`Basic ${Buffer.from('u:p').toString('base64')}`);
    const log = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance ti on ti.id = l.ti_id
      where ti.run_id = ? and ti.task_id = 'to_log'`, [run.run_id]);
    expect(log.map((l) => l.message)).to.include(`notification: audited ${run.run_id}`);
  });

  it('fails clearly on a missing connection, an HTTP error and a connection that is no channel', async () => {
    const run = await h.trigger({ dag_id: 'notify_fail' });
    expect(await h.waitForRun('notify_fail', run.run_id)).to.equal('failed');
    expect(await h.taskStates('notify_fail', run.run_id)).to.deep.equal({ missing: 'failed', http_500: 'failed', wrong_type: 'failed' });
    const missing = await errorOfTask(run.run_id, 'missing');
    expect(missing).to.equal('notification channel "teams": connection "teams" is not defined; add it, e.g. updraft connections add teams '
      + '--conn-type slack --conn-host https://hooks.slack.com/services/... (conn_type one of webhook, slack, log, kafka)');
    expect(await errorOfTask(run.run_id, 'http_500')).to.equal(
      `notification via connection "broken" to ${base}/... failed: HTTP 500 Internal Server Error: invalid_payload: the channel is archived`);
    expect(await errorOfTask(run.run_id, 'wrong_type')).to.equal(
      'connection "mail" has conn_type "smtp", which is not a notification channel; use one of: webhook, slack, log, kafka');
  });
});
