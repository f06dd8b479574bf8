/**
 * The task instance panel's Temporal sections (web/ui/durable.ts), without a Temporal
 * server: durable task instances and their activity attempts are written into PostgreSQL
 * as the worker would leave them, and a temporal_workflow task's XCom as the operator
 * pushes it. Checks the /ui/ti answer (workflow id, mode, attempts with their outcomes and
 * durations, links to the Temporal UI built from UPDRAFT_TEMPORAL_UI_URL and none without
 * it), then the rendered panel in headless Chromium, where markup in a workflow id or an
 * error stays text.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { formatAttachment, stepWorkflowId } from '../../../core/durable/plan.ts';
import { rows } from '../../../core/transitions/sql.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient } from '../../support/api.ts';

const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => fs.existsSync(p));
const UI = 'http://127.0.0.1:18233';

const DAGS = `
import { BashOperator, DAG, TemporalWorkflowOperator } from 'updraft';
const dag = new DAG({ dag_id: 'ui_durable', schedule: null });
new BashOperator({ task_id: 'd', dag, durable: true, bash_command: 'echo d' });
new BashOperator({ task_id: 'o', dag, bash_command: 'echo o' });
new TemporalWorkflowOperator({ task_id: 'tw', dag, workflow_type: 'orders', task_queue: 'orders-q' });
const whole = new DAG({ dag_id: 'ui_durable_run', schedule: null, run_as_workflow: true });
new BashOperator({ task_id: 't', dag: whole, bash_command: 'echo t' });
`;

interface Attempt { attempt: number; outcome: string; hostname: string | null; duration: number | null; error: string | null; workflow_run_id: string; link: string | null }

async function setUp(h: Harness): Promise<void> {
  h.writeDag('durable.ts', DAGS);
  expect(await h.processDags()).to.equal(0);
  await h.trigger({ dag_id: 'ui_durable', run_id: 'r1', logical_date: null });
  await h.trigger({ dag_id: 'ui_durable_run', run_id: 'r1', logical_date: null });
}

async function tiId(h: Harness, dagId: string, taskId: string): Promise<number> {
  const [row] = await rows<{ id: number }>(h.db, 'select id from task_instance where dag_id = ? and task_id = ?', [dagId, taskId]);
  return Number(row!.id);
}

/** An attempt as the activity records it; `start`/`end` are seconds after a fixed instant, so durations are exact. */
async function addAttempt(h: Harness, ti: number, a: { workflowId: string; run: string; activity?: string; attempt: number; host: string;
  start: number; end?: number; outcome?: string; error?: string }): Promise<void> {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000);
  await h.db.raw(`insert into durable_attempt (ti_id, workflow_id, workflow_run_id, activity_id, attempt, hostname, worker_id,
    start_date, end_date, outcome, error) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  [ti, a.workflowId, a.run, a.activity ?? '1', a.attempt, a.host, `${a.host}:1`, at(a.start), a.end === undefined ? null : at(a.end),
    a.outcome ?? null, a.error ?? null]);
}

async function attach(h: Harness, ti: number, value: string | null, state: string | null): Promise<void> {
  await h.db.raw('update task_instance set external_executor_id = ?, state = ? where id = ?', [value, state, ti]);
}

describe('ui: durable steps in the task instance panel', function () {
  this.timeout(60_000);

  describe('with UPDRAFT_TEMPORAL_UI_URL set', () => {
    let h: Harness;
    let api: ApiClient;
    let browser: Browser | undefined;
    const stepId = stepWorkflowId({ dag_id: 'ui_durable', run_id: 'r1', task_id: 'd', map_index: -1 });
    const stepLink = (run: string) => `${UI}/namespaces/ui-ns/workflows/updraft%2Fui_durable%2Fr1%2Fd%2F-1/${run}/history`;

    before(async () => {
      // A trailing slash in the setting must not double the one in the link.
      h = await Harness.create({ env: { UPDRAFT_TEMPORAL_UI_URL: `${UI}/`, UPDRAFT_TEMPORAL_NAMESPACE: 'ui-ns' } });
      await setUp(h);
      api = await ApiClient.start(h);
    });
    after(async () => {
      await browser?.close();
      await h.stop();
    });

    it('shows nothing Temporal for an ordinary task', async () => {
      const res = await api.get('/ui/ti/ui_durable/r1/o', 'viewer');
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ durable_step: null, temporal_workflow: null });
      expect(res.body.ti).to.not.have.property('external_executor_id');
    });

    it('links a step attached before its first attempt to the workflow (the Temporal UI opens its latest run)', async () => {
      const ti = await tiId(h, 'ui_durable', 'd');
      await attach(h, ti, formatAttachment({ mode: 'step', workflowId: stepId }), 'running');
      const { body } = await api.get('/ui/ti/ui_durable/r1/d', 'viewer');
      expect(body.durable_step).to.deep.equal({
        mode: 'step', workflow_id: 'updraft/ui_durable/r1/d/-1', update_id: null, namespace: 'ui-ns', run_id: null,
        link: `${UI}/namespaces/ui-ns/workflows/updraft%2Fui_durable%2Fr1%2Fd%2F-1`, attempts: [],
      });
    });

    it('lists every attempt: where it ran, how long, how it ended (lost when a later attempt replaced it)', async () => {
      const ti = await tiId(h, 'ui_durable', 'd');
      await addAttempt(h, ti, { workflowId: stepId, run: 'run-a', attempt: 1, host: 'host-1', start: 0, end: 2.5, outcome: 'failed', error: 'boom' });
      await addAttempt(h, ti, { workflowId: stepId, run: 'run-a', attempt: 2, host: 'host-2', start: 10 }); // its worker was killed
      await addAttempt(h, ti, { workflowId: stepId, run: 'run-a', attempt: 3, host: 'host-3', start: 40 });
      const { body } = await api.get('/ui/ti/ui_durable/r1/d', 'viewer');
      const step = body.durable_step as { run_id: string; link: string; attempts: Attempt[] };
      expect(step.run_id).to.equal('run-a');
      expect(step.link).to.equal(stepLink('run-a'));
      expect(step.attempts.map((a) => [a.attempt, a.hostname, a.duration, a.outcome, a.error])).to.deep.equal([
        [1, 'host-1', 2.5, 'failed', 'boom'], [2, 'host-2', null, 'lost', null], [3, 'host-3', null, 'running', null]]);
      expect(step.attempts.map((a) => a.link)).to.deep.equal([stepLink('run-a'), stepLink('run-a'), stepLink('run-a')]);

      // The step succeeded on attempt 3; the task instance was then cleared (attachment gone) and ran again in a new execution.
      await h.db.raw(`update durable_attempt set end_date = start_date + interval '4 seconds', outcome = 'success' where ti_id = ? and attempt = 3`, [ti]);
      await attach(h, ti, null, 'success');
      await addAttempt(h, ti, { workflowId: stepId, run: 'run-b', attempt: 1, host: 'host-1', start: 100, end: 101, outcome: 'success' });
      const again = (await api.get('/ui/ti/ui_durable/r1/d', 'viewer')).body.durable_step as { mode: string; run_id: string; link: string; attempts: Attempt[] };
      expect(again.mode, 'told by the workflow id once the attachment is cleared').to.equal('step');
      expect(again.run_id).to.equal('run-b');
      expect(again.link).to.equal(stepLink('run-b'));
      expect(again.attempts.map((a) => `${a.workflow_run_id}#${a.attempt}:${a.outcome}:${a.duration}`))
        .to.deep.equal(['run-a#1:failed:2.5', 'run-a#2:lost:null', 'run-a#3:success:4', 'run-b#1:success:1']);
      expect(again.attempts.at(-1)!.link).to.equal(stepLink('run-b'));
    });

    it('shows a run_as_workflow task as an update of its run\'s workflow', async () => {
      const ti = await tiId(h, 'ui_durable_run', 't');
      await attach(h, ti, formatAttachment({ mode: 'run', workflowId: 'updraft/ui_durable_run/r1', updateId: 't/-1/try-1' }), 'success');
      await addAttempt(h, ti, { workflowId: 'updraft/ui_durable_run/r1', run: 'run-w', activity: 't/-1', attempt: 1, host: 'host-1', start: 0, end: 0.25, outcome: 'success' });
      const { body } = await api.get('/ui/ti/ui_durable_run/r1/t', 'viewer');
      expect(body.durable_step).to.deep.include({
        mode: 'run', workflow_id: 'updraft/ui_durable_run/r1', update_id: 't/-1/try-1', run_id: 'run-w',
        link: `${UI}/namespaces/ui-ns/workflows/updraft%2Fui_durable_run%2Fr1/run-w/history`,
      });
      expect(body.durable_step.attempts.map((a: Attempt) => [a.outcome, a.duration])).to.deep.equal([['success', 0.25]]);
    });

    it('shows and links the workflow a temporal_workflow task reported, in its own namespace, every part encoded', async () => {
      const [run] = await rows<{ id: number }>(h.db, `select id from dag_run where dag_id = 'ui_durable' and run_id = 'r1'`);
      await h.db.raw(`insert into xcom (dag_run_id, task_id, map_index, key, value) values (?, 'tw', -1, 'temporal_workflow', ?::jsonb)`,
        [run!.id, JSON.stringify({ workflow_id: 'orders/42?x=<b>&y#z', run_id: 'run-9', namespace: 'other ns' })]);
      const { body } = await api.get('/ui/ti/ui_durable/r1/tw', 'viewer');
      expect(body.durable_step).to.equal(null);
      expect(body.temporal_workflow).to.deep.equal({
        workflow_id: 'orders/42?x=<b>&y#z', run_id: 'run-9', namespace: 'other ns',
        link: `${UI}/namespaces/other%20ns/workflows/orders%2F42%3Fx%3D%3Cb%3E%26y%23z/run-9/history`,
      });
    });

    it('renders the sections in the browser, markup in ids and errors as plain text', async () => {
      if (!CHROMIUM) throw new Error('chromium is not installed: run bash scripts/ensure-deps.sh (apt-get install -y chromium)');
      const evil = '<img src=x onerror="window.__pwned=1">';
      const ti = await tiId(h, 'ui_durable', 'd');
      await attach(h, ti, formatAttachment({ mode: 'step', workflowId: stepId }), 'running');
      await h.db.raw(`update durable_attempt set error = ? where ti_id = ? and attempt = 1 and workflow_run_id = 'run-a'`, [`${evil} failed`, ti]);
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
      const context = await browser.newContext();
      await context.addCookies([{ name: 'updraft_token', value: await api.token('viewer'), url: api.baseUrl, sameSite: 'Strict' }]);
      const page = await context.newPage();
      await page.goto(`${api.baseUrl}/#/dags/ui_durable?run=r1&task=d`);
      await page.waitForSelector('#ti-durable-attempts');
      expect(await page.textContent('#ti-durable')).to.contain('updraft/ui_durable/r1/d/-1').and.contain('own workflow');
      expect(await page.getAttribute('#ti-durable-link', 'href')).to.equal(stepLink('run-b'));
      // Two executions: each attempt names (and links) its own.
      expect(await page.$$eval('#ti-durable-attempts tr.attempt', (trs) => trs.map((tr) => (tr as HTMLElement).innerText.split('\t').slice(0, 3).join(' '))))
        .to.deep.equal(['#1 run-a host-1', '#2 run-a host-2', '#3 run-a host-3', '#1 run-b host-1']);
      expect(await page.textContent('#ti-durable-attempts')).to.contain(`${evil} failed`).and.contain('lost');
      expect(await page.$$('#ti-durable img, #ti-durable-attempts img')).to.have.length(0);

      await page.goto(`${api.baseUrl}/#/dags/ui_durable?run=r1&task=tw`);
      await page.waitForSelector('#ti-temporal-workflow');
      expect(await page.textContent('#ti-temporal-workflow')).to.contain('orders/42?x=<b>&y#z').and.contain('other ns');
      expect(await page.getAttribute('#ti-temporal-workflow-link', 'href')).to.equal(`${UI}/namespaces/other%20ns/workflows/orders%2F42%3Fx%3D%3Cb%3E%26y%23z/run-9/history`);
      expect(await page.$$('#ti-temporal-workflow b')).to.have.length(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).to.equal(undefined);
    });
  });

  describe('without UPDRAFT_TEMPORAL_UI_URL', () => {
    let h: Harness;
    let api: ApiClient;

    before(async () => {
      // Empty counts as unset (whatever the environment running the tests holds).
      h = await Harness.create({ env: { UPDRAFT_TEMPORAL_UI_URL: '', UPDRAFT_TEMPORAL_NAMESPACE: 'default' } });
      await setUp(h);
      api = await ApiClient.start(h);
    });
    after(async () => { await h.stop(); });

    it('shows the workflow and its attempts with no link', async () => {
      const stepId = stepWorkflowId({ dag_id: 'ui_durable', run_id: 'r1', task_id: 'd', map_index: -1 });
      const ti = await tiId(h, 'ui_durable', 'd');
      await attach(h, ti, formatAttachment({ mode: 'step', workflowId: stepId }), 'success');
      await addAttempt(h, ti, { workflowId: stepId, run: 'run-a', attempt: 1, host: 'host-1', start: 0, end: 1, outcome: 'success' });
      const [run] = await rows<{ id: number }>(h.db, `select id from dag_run where dag_id = 'ui_durable' and run_id = 'r1'`);
      await h.db.raw(`insert into xcom (dag_run_id, task_id, map_index, key, value) values (?, 'tw', -1, 'temporal_workflow', ?::jsonb)`,
        [run!.id, JSON.stringify({ workflow_id: 'orders-1', run_id: 'run-9', namespace: 'default' })]);
      const step = (await api.get('/ui/ti/ui_durable/r1/d', 'viewer')).body.durable_step;
      expect(step).to.deep.include({ mode: 'step', workflow_id: stepId, run_id: 'run-a', namespace: 'default', link: null });
      expect(step.attempts.map((a: Attempt) => [a.outcome, a.link])).to.deep.equal([['success', null]]);
      expect((await api.get('/ui/ti/ui_durable/r1/tw', 'viewer')).body.temporal_workflow)
        .to.deep.equal({ workflow_id: 'orders-1', run_id: 'run-9', namespace: 'default', link: null });
    });
  });
});
