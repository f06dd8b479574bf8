/**
 * The UI end to end in real headless Chromium (Debian's `chromium`, driven by
 * playwright-core): log in, trigger a run with conf from the form, watch the grid turn
 * green without reloading, open a task's log and rendered templates, pause a DAG, and
 * see an import error appear after a broken file lands in the DAGs folder. Writes the
 * README's screenshots to docs/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { rows } from '../../../core/transitions/sql.ts';
import { Harness } from '../../support/harness.ts';
import { ApiClient } from '../../support/api.ts';

const SHOTS = path.resolve(import.meta.dirname, '../../../docs/screenshots');
/** /usr/bin/chromium is Debian's wrapper script; the browser itself lives here. */
const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => fs.existsSync(p));

const DEMO = `
import { BashOperator, DAG, EmptyOperator, TaskGroup, chain, task } from 'updraft';
const dag = new DAG({ dag_id: 'ui_demo', schedule: null, description: 'the UI test DAG', tags: ['demo', 'ui'],
  params: { multiplier: 2, region: 'eu' } });
const start = new EmptyOperator({ task_id: 'start', dag });
const hello = new BashOperator({ task_id: 'hello', dag,
  bash_command: 'echo "multiplier is {{ params.multiplier }} in {{ params.region }}"; sleep 0.5; echo done' });
const work = new TaskGroup({ group_id: 'work', dag });
new BashOperator({ task_id: 'a', task_group: work, bash_command: 'echo a' });
new BashOperator({ task_id: 'b', task_group: work, bash_command: 'echo b' });
const files = task({ task_id: 'files', dag }, () => ['x', 'y', 'z']);
const load = task({ task_id: 'load', dag }, (ctx, { f }) => 'loaded ' + f).expand({ f: files.output });
chain(start, hello, work, files);
`;

const OTHER = `
import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'ui_other', schedule: '@daily', start_date: '2026-01-01', catchup: false, tags: ['other'] });
new EmptyOperator({ task_id: 'noop', dag });
`;

describe('ui: end to end in headless Chromium', function () {
  this.timeout(120_000);
  let h: Harness;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;

  before(async function () {
    if (!CHROMIUM) throw new Error('chromium is not installed: run bash scripts/ensure-deps.sh (apt-get install -y chromium)');
    h = await Harness.create();
    h.writeDag('ui_demo.ts', DEMO);
    h.writeDag('ui_other.ts', OTHER);
    api = await ApiClient.start(h);
    await h.startProcessor();
    await h.startScheduler();
    await h.startWorker();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    fs.mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('refuses a wrong password, then logs in as admin and lists the DAGs', async () => {
    await page.goto(api.baseUrl + '/');
    await page.fill('#username', 'admin');
    await page.fill('#password', 'wrong-password');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-error:has-text("Wrong username or password")');
    await page.fill('#password', 'password-admin');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('tr[data-dag-id="ui_demo"]', { timeout: 20_000 });
    await page.waitForSelector('tr[data-dag-id="ui_other"]');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'updraft_token')?.sameSite).to.equal('Strict');
    // search narrows the list
    await page.fill('#dag-search', 'demo');
    await page.waitForSelector('tr[data-dag-id="ui_other"]', { state: 'detached' });
    await page.fill('#dag-search', '');
    await page.waitForSelector('tr[data-dag-id="ui_other"]');
  });

  it('rejects conf that does not match the params, then triggers a run with conf and the grid turns green live', async () => {
    await page.click('a.dag-link:has-text("ui_demo")');
    await page.waitForSelector('#grid, .grid-wrap');
    await page.click('#trigger-button');
    await page.fill('#trigger-conf', '{"multiplier": "lots"');
    await page.waitForSelector('#trigger-errors li:has-text("not valid JSON")');
    await page.fill('#trigger-conf', '{"multiplier": "lots"}');
    await page.click('#trigger-submit');
    await page.waitForSelector('#trigger-errors li:has-text("conf.multiplier")');
    expect(await page.textContent('#trigger-errors')).to.contain('must be a number');
    await page.fill('#trigger-run-id', 'ui_run_1');
    await page.fill('#trigger-conf', '{"multiplier": 7}');
    await page.click('#trigger-submit');
    await page.waitForSelector('#grid');
    // No reload from here on: the squares change through the live event stream.
    await page.waitForSelector('.bar.st-success[data-run-id="ui_run_1"]', { timeout: 30_000 });
    const states = await page.$$eval('button.cell[data-run="ui_run_1"]', (els) => els.map((e) => (e as HTMLElement).dataset.state));
    expect(states).to.have.length(6); // start, hello, work.a, work.b, files, load (mapped: one square)
    expect(new Set(states)).to.deep.equal(new Set(['success']));
    expect(await page.textContent('button.cell[data-task="load"][data-run="ui_run_1"]')).to.equal('3');
    const [run] = await rows<{ conf: unknown; state: string }>(h.db, `select conf, state from dag_run where run_id = 'ui_run_1'`);
    expect(run).to.deep.equal({ conf: { multiplier: 7 }, state: 'success' });
  });

  it('opens a task instance: rendered template with the conf, and its log', async () => {
    await page.click('button.cell[data-task="hello"][data-run="ui_run_1"]');
    await page.waitForSelector('#ti-log:has-text("multiplier is 7 in eu")');
    expect(await page.textContent('#ti-rendered')).to.contain('echo "multiplier is 7 in eu"');
    expect(await page.textContent('#ti-panel .badge')).to.equal('success');
    // groups collapse to one summary row
    await page.click('button.group-toggle[data-group="work"]');
    await page.waitForSelector('tr[data-row="work.a"]', { state: 'detached' });
    await page.click('button.group-toggle[data-group="work"]');
    await page.waitForSelector('tr[data-row="work.a"]');
    await page.screenshot({ path: path.join(SHOTS, 'task-instance.png'), fullPage: true });
  });

  it('marks a task failed and clears it again from the panel; the grid follows', async () => {
    await page.click('#ti-mark-failed');
    await page.waitForSelector('button.cell[data-task="hello"][data-run="ui_run_1"][data-state="failed"]', { timeout: 10_000 });
    await page.click('#ti-clear');
    await page.waitForSelector('#ti-action-msg:has-text("Cleared 1 task instance")');
    await page.waitForSelector('button.cell[data-task="hello"][data-run="ui_run_1"][data-state="success"]', { timeout: 30_000 });
    const events = await rows<{ event: string; owner: string }>(h.db,
      `select event, owner from event_log where dag_id = 'ui_demo' order by id`);
    expect(events.map((e) => e.event)).to.include.members(['trigger_dag_run', 'patch_task_instance', 'clear']);
    expect(new Set(events.map((e) => e.owner))).to.deep.equal(new Set(['admin']));
    // A few more runs, for the grid's screenshot: new columns appear without a reload.
    for (let i = 2; i <= 4; i++) await h.trigger({ dag_id: 'ui_demo', run_id: `ui_run_${i}`, logical_date: null, conf: { multiplier: i } });
    for (let i = 2; i <= 4; i++) await h.waitForRun('ui_demo', `ui_run_${i}`, 30_000);
    await page.waitForSelector('.bar.st-success[data-run-id="ui_run_4"]', { timeout: 10_000 });
    expect(await page.$$eval('.bar', (els) => els.length)).to.equal(4);
    await page.screenshot({ path: path.join(SHOTS, 'grid.png'), fullPage: true });
  });

  it('shows the graph of the run with its states, and the code', async () => {
    await page.click('#tab-graph');
    await page.waitForSelector('#graph g.node[data-task="hello"]');
    await page.waitForSelector('#graph g.node[data-task="load"][data-state="success"]');
    expect(await page.$$eval('#graph g.node', (els) => els.length)).to.equal(6);
    expect(await page.$$eval('#graph path.edge', (els) => els.length)).to.be.greaterThanOrEqual(6);
    await page.screenshot({ path: path.join(SHOTS, 'graph.png'), fullPage: true });
    await page.click('#tab-code');
    await page.waitForSelector('#dag-code:has-text("multiplier is")');
  });

  it('pauses a DAG from the list (recorded in the database and the event log)', async () => {
    await page.click('a.brand');
    await page.waitForSelector('tr[data-dag-id="ui_other"] input.pause-toggle', { state: 'attached' });
    expect(await page.isChecked('tr[data-dag-id="ui_other"] input.pause-toggle')).to.equal(true);
    await page.click('tr[data-dag-id="ui_other"] .switch span');
    await page.waitForSelector('tr[data-dag-id="ui_other"] .tag.paused');
    const [dag] = await rows<{ is_paused: boolean }>(h.db, `select is_paused from dag where dag_id = 'ui_other'`);
    expect(dag?.is_paused).to.equal(true);
    const [ev] = await rows<{ owner: string; extra: string }>(h.db, `select owner, extra from event_log where event = 'patch_dag' and dag_id = 'ui_other'`);
    expect(ev).to.deep.equal({ owner: 'admin', extra: '{"is_paused":true}' });
  });

  it('shows an import error at the top as soon as a broken file is dropped into the DAGs folder', async () => {
    expect(await page.$$('#import-errors details')).to.have.length(0);
    h.writeDag('broken_dag.ts', `import { DAG } from 'updraft';\nnew DAG({ dag_id: 'broken', schedule: 'every now and then' });\n`);
    await page.waitForSelector('#import-errors details:has-text("broken_dag.ts")', { timeout: 30_000 });
    expect(await page.textContent('#import-errors')).to.match(/every now and then|schedule/i);
    await page.screenshot({ path: path.join(SHOTS, 'dag-list.png'), fullPage: true });
  });

  it('lists pipelines and draws a pipeline\'s lineage with the upstream pipeline that writes the table it reads', async () => {
    const source = await api.post('/api/v1/pipelines', { name: 'lin_source', tasks: [
      { id: 'build', type: 'sql', sql: 'select 1 as x', output: 'analytics.lin_orders' }] });
    expect(source.status, source.text).to.equal(201);
    const report = await api.post('/api/v1/pipelines', { name: 'lin_report', tasks: [
      { id: 'read', type: 'sql', sql: 'select count(*) from analytics.lin_orders o join raw.regions r on r.id = o.x', output: 'analytics.lin_summary' }] });
    expect(report.status, report.text).to.equal(201);
    await page.goto(`${api.baseUrl}/#/pipelines`);
    await page.waitForSelector('#pipelines a:has-text("lin_report")');
    await page.click('#pipelines a:has-text("lin_report")');
    await page.waitForSelector('#lineage g.lin-pipeline[data-node="pipeline:lin_source"]');
    const nodes = await page.$$eval('#lineage g.lin-node', (els) => els.map((e) => e.getAttribute('data-node')));
    expect(nodes).to.include.members(['table:analytics.lin_orders', 'table:raw.regions', 'table:analytics.lin_summary', 'task:lin_report/read']);
    await page.screenshot({ path: path.join(SHOTS, 'lineage.png'), fullPage: true });
    await page.click('#lineage g.lin-pipeline[data-node="pipeline:lin_source"]');
    await page.waitForSelector('#lineage g.lin-node[data-node="task:lin_source/build"]');
  });
});
