/**
 * The UI's private /ui endpoints without a browser: authentication and roles, the grid's
 * shape (groups, mapped counts, states), the DAG list's filters (injection attempts are
 * plain text), the trigger's conf checks, 404/409/422 answers, audit rows and the live
 * event stream.
 */
import { expect } from 'chai';
import { rows } from '../../../core/transitions/sql.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient } from '../../support/api.ts';

const DAG = `
import { BashOperator, DAG, TaskGroup, task } from 'updraft';
const dag = new DAG({ dag_id: 'ui_api', schedule: null, tags: ['t1'], params: { n: 1, names: [] } });
const g = new TaskGroup({ group_id: 'grp', dag });
const a = new BashOperator({ task_id: 'a', task_group: g, bash_command: 'echo {{ params.n }}' });
const m = task({ task_id: 'm', dag }, (ctx, { x }) => x).expand({ x: [1, 2, 3] });
a.rshift(m);
`;
const OTHER = `
import { DAG, EmptyOperator } from 'updraft';
new EmptyOperator({ task_id: 'e', dag: new DAG({ dag_id: 'ui_api_other', schedule: null, tags: ['t2'] }) });
`;

describe('ui: private endpoints', function () {
  this.timeout(30_000);
  let h: Harness;
  let api: ApiClient;

  before(async () => {
    h = await Harness.create();
    h.writeDag('a.ts', DAG);
    h.writeDag('b.ts', OTHER);
    expect(await h.processDags()).to.equal(0);
    api = await ApiClient.start(h);
  });
  after(async () => { await h.stop(); });

  it('serves the page to anyone, the data only with a token (bearer or the updraft_token cookie)', async () => {
    const page = await api.get('/', null);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/text\/html/);
    expect((await api.get('/ui/dags', null)).status).to.equal(401);
    const viaCookie = await api.request('GET', '/ui/me', { role: null, headers: { cookie: `updraft_token=${await api.token('viewer')}` } });
    expect(viaCookie.body).to.deep.equal({ username: 'viewer', role: 'viewer' });
  });

  it('lists DAGs with search and tag filters; SQL in the search box is only text', async () => {
    const all = await api.get('/ui/dags', 'viewer');
    expect(all.body.dags.map((d: { dag_id: string }) => d.dag_id)).to.deep.equal(['ui_api', 'ui_api_other']);
    expect(all.body.tags).to.deep.equal(['t1', 't2']);
    expect((await api.get('/ui/dags?tags=t2')).body.dags.map((d: { dag_id: string }) => d.dag_id)).to.deep.equal(['ui_api_other']);
    expect((await api.get('/ui/dags?search=OTHER')).body.dags).to.have.length(1);
    for (const evil of [`' or 1=1 --`, '%', 'a_i', `x'); drop table dag; --`]) {
      const res = await api.get(`/ui/dags?search=${encodeURIComponent(evil)}`);
      expect(res.status, evil).to.equal(200);
      expect(res.body.dags, evil).to.have.length(0);
    }
    expect((await api.get('/ui/dags?paused=maybe')).status).to.equal(422);
    expect((await rows(h.db, 'select 1 from dag')).length).to.equal(2);
  });

  it('triggers with conf checked against params (422 naming the field), 409 on a duplicate run id, 404 for an unknown DAG', async () => {
    const bad = await api.post('/ui/dags/ui_api/trigger', { conf: { n: 'five', names: {} } }, 'user');
    expect(bad.status).to.equal(422);
    expect(bad.body.detail.map((d: { loc: string[] }) => d.loc.join('.'))).to.deep.equal(['body.conf.n', 'body.conf.names']);
    expect(bad.body.detail[0].msg).to.match(/must be a number/);
    expect((await api.post('/ui/dags/ui_api/trigger', { conf: [1] }, 'user')).status).to.equal(422);
    expect((await api.request('POST', '/ui/dags/ui_api/trigger', { rawBody: '{"conf": ' })).status).to.equal(400);
    expect((await api.post('/ui/dags/ui_api/trigger', { conf: {} }, 'viewer')).status).to.equal(403);
    const ok = await api.post('/ui/dags/ui_api/trigger', { dag_run_id: 'r1', conf: { n: 5, extra: true } }, 'user');
    expect(ok.status).to.equal(201);
    expect(ok.body).to.include({ dag_id: 'ui_api', run_id: 'r1', state: 'queued', logical_date: null });
    expect((await api.post('/ui/dags/ui_api/trigger', { dag_run_id: 'r1' }, 'user')).status).to.equal(409);
    expect((await api.post('/ui/dags/ui_api/trigger', { dag_run_id: `r' or 1=1 --` }, 'user')).status).to.equal(422);
    const nope = await api.post('/ui/dags/nope/trigger', {}, 'user');
    expect(nope.status).to.equal(404);
    const [ev] = await rows<{ owner: string; run_id: string }>(h.db, `select owner, run_id from event_log where event = 'trigger_dag_run'`);
    expect(ev).to.deep.equal({ owner: 'user', run_id: 'r1' });
  });

  it('builds the grid: groups before their tasks, mapped instances counted, worst state shown', async () => {
    const run = (await rows<{ id: string }>(h.db, `select id from dag_run where run_id = 'r1'`))[0]!;
    // As the scheduler would leave them (no scheduler runs in this file): a done, m expanded to three.
    await h.db.raw(`update task_instance set state = 'success' where dag_run_id = ? and task_id = 'grp.a'`, [run.id]);
    await h.db.raw(`delete from task_instance where dag_run_id = ? and task_id = 'm'`, [run.id]);
    await h.db.raw(`insert into task_instance (dag_run_id, dag_id, run_id, task_id, map_index, state, operator) values
      (?, 'ui_api', 'r1', 'm', 0, 'success', 'task'), (?, 'ui_api', 'r1', 'm', 1, 'failed', 'task'),
      (?, 'ui_api', 'r1', 'm', 2, 'running', 'task')`, [run.id, run.id, run.id]);
    const grid = await api.get('/ui/grid/ui_api', 'viewer');
    expect(grid.status).to.equal(200);
    expect(grid.body.rows.map((r: { id: string; kind: string; depth: number }) => `${r.kind}:${r.id}:${r.depth}`))
      .to.deep.equal(['group:grp:0', 'task:grp.a:1', 'task:m:0']);
    expect(grid.body.runs.map((r: { run_id: string }) => r.run_id)).to.deep.equal(['r1']);
    expect(grid.body.cells.m.r1).to.deep.equal({ state: 'failed', count: 3, states: { success: 1, failed: 1, running: 1 } });
    expect(grid.body.cells['grp.a'].r1.state).to.equal('success');
    const missing = await api.get('/ui/grid/nope');
    expect(missing.status).to.equal(404);
    expect(missing.body.detail).to.equal('The Dag with ID: `nope` was not found');
    expect((await api.get('/ui/grid/ui_api?limit=100000')).status).to.equal(422);
    expect((await api.get('/ui/grid/ui_api?limit=abc')).status).to.equal(422);
  });

  it('answers for a task instance: rendered templates, why it is not running, 404 for an unknown one', async () => {
    await h.db.raw(`update dag set is_paused = true where dag_id = 'ui_api'`);
    const ti = await api.get('/ui/ti/ui_api/r1/grp.a', 'viewer');
    expect(ti.status).to.equal(200);
    expect(ti.body.rendered).to.deep.equal({ fields: { bash_command: 'echo 5' } });
    expect(ti.body.why_not_running).to.equal(null); // success: nothing to explain
    await h.db.raw(`update task_instance set state = null where task_id = 'grp.a'`);
    const waiting = await api.get('/ui/ti/ui_api/r1/grp.a');
    expect(waiting.body.why_not_running.map((d: { reason: string }) => d.reason).join(' ')).to.match(/DAG run was not in/i);
    // Paused only matters when queuing (a scheduled instance), as in Airflow's deps.
    await h.db.raw(`update dag_run set state = 'running' where run_id = 'r1'`);
    await h.db.raw(`update task_instance set state = 'scheduled' where task_id = 'grp.a'`);
    const paused = await api.get('/ui/ti/ui_api/r1/grp.a');
    expect(paused.body.why_not_running.map((d: { reason: string }) => d.reason)).to.deep.equal(["Task's DAG is paused."]);
    const mapped = await api.get('/ui/ti/ui_api/r1/m?map_index=1');
    expect(mapped.body.ti.map_index).to.equal(1);
    expect(mapped.body.instances.map((i: { map_index: number }) => i.map_index)).to.deep.equal([0, 1, 2]);
    expect((await api.get('/ui/ti/ui_api/r1/nope')).status).to.equal(404);
    expect((await api.get('/ui/log/ui_api/r1/grp.a?after=-5')).status).to.equal(422);
    expect((await api.get('/ui/log/ui_api/r1/grp.a')).body).to.deep.include({ lines: [] });
  });

  it('marks and clears with the user role only, recorded in the event log', async () => {
    expect((await api.post('/ui/ti/ui_api/r1/grp.a/mark', { state: 'success' }, 'viewer')).status).to.equal(403);
    expect((await api.post('/ui/ti/ui_api/r1/grp.a/mark', { state: 'bogus' }, 'user')).status).to.equal(422);
    const marked = await api.post('/ui/ti/ui_api/r1/grp.a/mark', { state: 'success' }, 'user');
    expect(marked.body).to.include({ state: 'success', previous_state: 'scheduled' });
    expect((await h.taskStates('ui_api', 'r1'))['grp.a']).to.equal('success');
    const cleared = await api.post('/ui/ti/ui_api/r1/m/clear', { map_index: 1 }, 'user');
    expect(cleared.body.cleared).to.equal(1);
    const states = await rows<{ map_index: number; state: string | null }>(h.db, `select map_index, state from task_instance where task_id = 'm' order by map_index`);
    expect(states.map((s) => s.state)).to.deep.equal(['success', null, 'running']);
    expect((await api.post('/ui/ti/ui_api/r1/nope/clear', {}, 'user')).status).to.equal(404);
    const events = await rows<{ event: string }>(h.db, `select event from event_log where owner = 'user' order by id`);
    expect(events.map((e) => e.event)).to.deep.equal(['trigger_dag_run', 'patch_task_instance', 'clear']);
  });

  it('streams changes as server-sent events', async () => {
    const controller = new AbortController();
    const res = await fetch(`${api.baseUrl}/ui/events`, { headers: { authorization: `Bearer ${await api.token('viewer')}` }, signal: controller.signal });
    expect(res.headers.get('content-type')).to.match(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const seen = (async () => {
      while (!text.includes('"run_id":"r2"')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    })();
    await new Promise((r) => setTimeout(r, 1200)); // the first poll only sets the starting point
    await h.trigger({ dag_id: 'ui_api', run_id: 'r2', logical_date: null });
    await h.db.raw(`update dag set is_paused = false where dag_id = 'ui_api'`);
    await Promise.race([seen, new Promise((r) => setTimeout(r, 5000))]);
    controller.abort();
    expect(text).to.contain('{"type":"run","dag_id":"ui_api","run_id":"r2","state":"queued"}');
    expect(text).to.contain('{"type":"dags"}');
  });
});
