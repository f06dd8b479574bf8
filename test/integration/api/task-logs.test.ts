/**
 * /api/v2 task logs: a running task's log followed with continuation tokens (the second
 * call returns only lines written since the first), full_content, text and ndjson
 * forms, mapped instances by map_index, and refused tokens and ids.
 */
import { expect } from 'chai';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec } from '../../support/api.ts';

const SPEC = '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}';
const RUN = 'manual__logs';
const LOGS = `/api/v2/dags/logs_api/dagRuns/${RUN}/taskInstances`;

describe('api: task logs', function () {
  this.timeout(60_000);
  let h: Harness;
  let api: ApiClient;
  const events = (res: { body: { content: Array<{ event: string }> } }) => res.body.content.map((c) => c.event);

  before(async () => {
    h = await Harness.create();
    h.writeDag('logs_api.ts', `
import { DAG, task } from 'updraft';
const dag = new DAG({ dag_id: 'logs_api', schedule: null, start_date: '2026-01-01' });
task({ task_id: 'talk', dag }, async (ctx) => {
  ctx.log.info('line 1');
  await new Promise((r) => setTimeout(r, 1500));
  ctx.log.info('line 2');
  ctx.log.info('line 3');
  return 'done';
});
task({ task_id: 'each', dag }, (ctx, { word }) => { ctx.log.info('word ' + String(word)); }).expand({ word: ['a', 'b'] });
`);
    await h.processDags();
    api = await ApiClient.start(h);
    await h.startScheduler();
    await h.startWorker();
    await h.trigger({ dag_id: 'logs_api', run_id: RUN });
  });
  after(async () => { await h.stop(); });

  it('follows a running task\'s log: a call with the continuation token returns only the new lines', async () => {
    let first = await api.get(`${LOGS}/talk/logs/1`, 'viewer');
    const deadline = Date.now() + 10_000;
    while (!events(first).includes('line 1') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      first = await api.get(`${LOGS}/talk/logs/1`, 'viewer');
    }
    expectAirflowSpec(first, 'get', SPEC);
    expect(events(first)).to.include('line 1');
    expect(events(first)).to.not.include('line 2');
    expect(first.body.content[0].timestamp).to.match(/^\d{4}-\d\d-\d\dT/);
    const token = first.body.continuation_token as string;
    expect(token).to.be.a('string');
    expect(await h.waitForRun('logs_api', RUN)).to.equal('success');

    const next = await api.get(`${LOGS}/talk/logs/1?token=${encodeURIComponent(token)}`, 'viewer');
    expectAirflowSpec(next, 'get', SPEC);
    expect(events(next)).to.include.members(['line 2', 'line 3']);
    expect(events(next)).to.not.include('line 1');
    const last = await api.get(`${LOGS}/talk/logs/1?token=${encodeURIComponent(next.body.continuation_token)}`);
    expect(last.body.content).to.deep.equal([]);
    expect(last.body.continuation_token).to.equal(next.body.continuation_token);

    const full = await api.get(`${LOGS}/talk/logs/1?full_content=true&token=${encodeURIComponent(token)}`);
    expectAirflowSpec(full, 'get', SPEC);
    expect(events(full)).to.include.members(['line 1', 'line 2', 'line 3']);
  });

  it('answers text/plain and application/x-ndjson when Accept asks', async () => {
    await h.waitForRun('logs_api', RUN);
    const text = await api.request('GET', `${LOGS}/talk/logs/1`, { headers: { accept: 'text/plain' } });
    expect(text.status).to.equal(200);
    expect(text.headers.get('content-type')).to.match(/^text\/plain/);
    expect(text.text).to.match(/^\[\d{4}-[^\]]+\] line 1$/m);
    expect(text.headers.get('x-continuation-token')).to.be.a('string');
    const nd = await api.request('GET', `${LOGS}/talk/logs/1`, { headers: { accept: 'application/x-ndjson' } });
    expect(nd.headers.get('content-type')).to.match(/^application\/x-ndjson/);
    const lines = nd.text.trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    expect(lines.map((l) => l.event)).to.include('line 3');
  });

  it('reads a mapped instance\'s log by map_index; an empty try is an empty list', async () => {
    await h.waitForRun('logs_api', RUN);
    const b = await api.get(`${LOGS}/each/logs/1?map_index=1`);
    expectAirflowSpec(b, 'get', SPEC);
    expect(events(b)).to.include('word b');
    expect(events(b)).to.not.include('word a');
    const none = await api.get(`${LOGS}/talk/logs/7`);
    expect(none.status).to.equal(200);
    expect(none.body.content).to.deep.equal([]);
  });

  it('refuses forged tokens (400), unknown instances (404), bad try numbers (422) and missing tokens (401)', async () => {
    const first = await api.get(`${LOGS}/talk/logs/1`);
    const token = first.body.continuation_token as string;
    const [payload, mac] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ last_log_id: '0' })).toString('base64url')}.${mac}`;
    for (const bad of [forged, `${payload}.AAAA`, 'garbage', `${payload}.${mac}.x`]) {
      const res = await api.get(`${LOGS}/talk/logs/1?token=${encodeURIComponent(bad)}`);
      expect(res.status, bad).to.equal(400);
      expect(res.body.detail).to.match(/Bad Signature/);
    }
    const ghost = await api.get(`${LOGS}/ghost/logs/1`);
    expect(ghost.status).to.equal(404);
    expectAirflowSpec(ghost, 'get', SPEC);
    const unmappedIndex = await api.get(`${LOGS}/each/logs/1`);
    expect(unmappedIndex.status).to.equal(404);
    const badTry = await api.get(`${LOGS}/talk/logs/-1`);
    expect(badTry.status).to.equal(422);
    expectAirflowSpec(badTry, 'get', SPEC);
    expect((await api.get(`${LOGS}/talk/logs/1`, null)).status).to.equal(401);
  });
});
