/**
 * /api/v2/eventLogs against Airflow's spec: filters, patterns, included/excluded
 * events, the before/after window, paging and order_by, one record by id; and the CLI's
 * changes (dags pause, trigger, tasks clear, backfill, variables, connections) showing
 * up there with a "cli:<user>" owner.
 */
import { expect } from 'chai';
import { recordEvent } from '../../../core/transitions/event-log.ts';
import { rows } from '../../../core/transitions/sql.ts';
import { runCli, type CliResult } from '../../support/cli.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient, expectAirflowSpec } from '../../support/api.ts';

const ok = (r: CliResult) => { expect(r.code, r.stderr).to.equal(0); return r; };

describe('api: eventLogs', function () {
  this.timeout(60_000);
  let h: Harness;
  let api: ApiClient;

  before(async () => {
    h = await Harness.create();
    api = await ApiClient.start(h);
    await recordEvent(h.db, { event: 'trigger_dag_run', owner: 'alice', dag_id: 'sales_daily', run_id: 'manual__1', logical_date: new Date('2026-03-01T00:00:00Z') });
    await recordEvent(h.db, { event: 'clear', owner: 'bob', dag_id: 'sales_daily', task_id: 'load', run_id: 'manual__1', map_index: 2, try_number: 1 });
    await recordEvent(h.db, { event: 'patch_dag', owner: 'alice', dag_id: 'hr_weekly', extra: { is_paused: true } });
    await h.db.raw(`update event_log set dttm = '2026-01-01T00:00:00Z' where event = 'trigger_dag_run'`);
  });
  after(async () => { await h.stop(); });

  it('lists every event newest last by default, with paging and -order_by', async () => {
    const all = await api.get('/api/v2/eventLogs', 'viewer');
    expect(all.status).to.equal(200);
    expectAirflowSpec(all, 'get', '/api/v2/eventLogs');
    expect(all.body.event_logs.map((e: { event: string }) => e.event)).to.deep.equal(['trigger_dag_run', 'clear', 'patch_dag']);
    expect(all.body.event_logs[0]).to.include({ owner: 'alice', dag_id: 'sales_daily', logical_date: '2026-03-01T00:00:00.000Z', when: '2026-01-01T00:00:00.000Z' });
    expect(all.body.event_logs[2].extra).to.equal('{"is_paused":true}');
    const page = await api.get('/api/v2/eventLogs?order_by=-event_log_id&limit=1&offset=1');
    expectAirflowSpec(page, 'get', '/api/v2/eventLogs');
    expect(page.body.total_entries).to.equal(3);
    expect(page.body.event_logs.map((e: { event: string }) => e.event)).to.deep.equal(['clear']);
    expect((await api.get('/api/v2/eventLogs?order_by=password')).status).to.equal(400);
  });

  it('filters exactly, by pattern (with |), by included/excluded events and by time', async () => {
    const q = async (qs: string) => {
      const res = await api.get(`/api/v2/eventLogs?${qs}`);
      expectAirflowSpec(res, 'get', '/api/v2/eventLogs');
      return res.body.event_logs.map((e: { event: string }) => e.event) as string[];
    };
    expect(await q('dag_id=sales_daily&task_id=load&map_index=2&try_number=1&run_id=manual__1')).to.deep.equal(['clear']);
    expect(await q('owner=alice')).to.deep.equal(['trigger_dag_run', 'patch_dag']);
    expect(await q('event=patch_dag')).to.deep.equal(['patch_dag']);
    expect(await q('dag_id_pattern=SALES')).to.deep.equal(['trigger_dag_run', 'clear']);
    expect(await q('dag_id_pattern=hr_%20|%20nothing')).to.deep.equal(['patch_dag']);
    expect(await q('owner_pattern=bo&event_pattern=cle')).to.deep.equal(['clear']);
    expect(await q('included_events=clear&included_events=patch_dag')).to.deep.equal(['clear', 'patch_dag']);
    expect(await q('excluded_events=clear,patch_dag')).to.deep.equal(['trigger_dag_run']);
    expect(await q('before=2026-06-01T00:00:00Z')).to.deep.equal(['trigger_dag_run']);
    expect(await q('after=2026-06-01T00:00:00Z')).to.deep.equal(['clear', 'patch_dag']);
    expect(await q(`dag_id=${encodeURIComponent("' or 1=1 --")}`)).to.deep.equal([]);
  });

  it('answers bad filters with 422 and unknown ids with 404; needs a token', async () => {
    for (const qs of ['before=yesterday', 'after=99999-01-01', 'map_index=two', 'try_number=1.5', 'limit=abc', 'map_index=99999999999']) {
      const res = await api.get(`/api/v2/eventLogs?${qs}`);
      expect(res.status, qs).to.equal(422);
      expectAirflowSpec(res, 'get', '/api/v2/eventLogs');
    }
    const [first] = await rows<{ id: string }>(h.db, 'select min(id) as id from event_log');
    const one = await api.get(`/api/v2/eventLogs/${first!.id}`, 'viewer');
    expectAirflowSpec(one, 'get', '/api/v2/eventLogs/{event_log_id}');
    expect(one.body).to.include({ event_log_id: Number(first!.id), event: 'trigger_dag_run' });
    const missing = await api.get('/api/v2/eventLogs/999999');
    expect(missing.status).to.equal(404);
    expectAirflowSpec(missing, 'get', '/api/v2/eventLogs/{event_log_id}');
    const notInt = await api.get('/api/v2/eventLogs/abc');
    expect(notInt.status).to.equal(422);
    expectAirflowSpec(notInt, 'get', '/api/v2/eventLogs/{event_log_id}');
    const anon = await api.get('/api/v2/eventLogs', null);
    expect(anon.status).to.equal(401);
    expectAirflowSpec(anon, 'get', '/api/v2/eventLogs');
  });

  it('the CLI records its changes: dags pause shows up in /eventLogs, as do trigger, clear, backfill, variables and connections', async () => {
    h.writeDag('audited.ts', `import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'audited', schedule: '@daily', start_date: '2026-01-01', catchup: false });
new EmptyOperator({ task_id: 'only', dag });
`);
    await h.processDags();
    ok(await runCli(['dags', 'pause', 'audited'], h.env));
    const paused = await api.get('/api/v2/eventLogs?dag_id=audited&event=cli_dag_pause', 'viewer');
    expectAirflowSpec(paused, 'get', '/api/v2/eventLogs');
    expect(paused.body.total_entries).to.equal(1);
    expect(paused.body.event_logs[0].owner).to.match(/^cli/);

    ok(await runCli(['dags', 'unpause', 'audited'], h.env));
    ok(await runCli(['dags', 'trigger', 'audited', '-r', 'cli_run'], h.env));
    ok(await runCli(['tasks', 'clear', 'audited', '-y'], h.env));
    ok(await runCli(['backfill', 'create', '--dag-id', 'audited', '--from-date', '2026-01-01', '--to-date', '2026-01-02'], h.env));
    ok(await runCli(['variables', 'set', 'cli_var', 'top-secret-value'], h.env));
    ok(await runCli(['variables', 'delete', 'cli_var'], h.env));
    ok(await runCli(['connections', 'add', 'cli_conn', '--conn-uri', 'http://u:pw-secret@example.com'], h.env));
    ok(await runCli(['connections', 'delete', 'cli_conn'], h.env));
    const res = await api.get('/api/v2/eventLogs?event_pattern=cli_&limit=100');
    expectAirflowSpec(res, 'get', '/api/v2/eventLogs');
    const events = res.body.event_logs.map((e: { event: string }) => e.event);
    expect(events).to.deep.equal(['cli_dag_pause', 'cli_dag_unpause', 'cli_dag_trigger', 'cli_task_clear', 'cli_create_backfill',
      'cli_variables_set', 'cli_variables_delete', 'cli_connections_add', 'cli_connections_delete']);
    const trigger = res.body.event_logs.find((e: { event: string }) => e.event === 'cli_dag_trigger');
    expect(trigger).to.include({ dag_id: 'audited', run_id: 'cli_run' });
    expect(res.text).to.not.include('top-secret-value').and.not.include('pw-secret');
  });
});
