/**
 * temporal_workflow and temporal_workflow_sensor on the real Temporal dev server
 * (scripts/temporal.sh), with real PostgreSQL and Redis. The workflows of
 * test/support/temporal-workflows.ts run on a Temporal Worker in this process, on a task
 * queue of this file's own; DAG runs go through the dag-processor, scheduler and worker,
 * plus direct executions of the operator where a test must control the tries exactly.
 */
import path from 'node:path';
import { expect } from 'chai';
import type { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker as TemporalWorker } from '@temporalio/worker';
import type { TaskContext } from '../../core/authoring/context.ts';
import { memoryCheckpoints } from '../../core/checkpoints/checkpoint.ts';
import { getConnection } from '../../core/connections/get-connection.ts';
import type { CheckpointHandle } from '../../core/authoring/context.ts';
import { rows } from '../../core/transitions/sql.ts';
import { TemporalWorkflowOperator } from '../../operators/temporal/workflow-operator.ts';
import { TemporalWorkflowSensor } from '../../operators/temporal/workflow-sensor.ts';
import { Harness } from '../support/harness.ts';
import { requireTemporal, temporalClient, testTemporal, uniqueTemporalId } from '../support/temporal.ts';

const WORKFLOWS = path.resolve(import.meta.dirname, '../support/temporal-workflows.ts');

describe('temporal_workflow operator and temporal_workflow_sensor', function () {
  this.timeout(120_000);
  let h: Harness;
  let client: Client;
  let native: NativeConnection;
  let worker: TemporalWorker;
  let working: Promise<void>;
  const taskQueue = uniqueTemporalId('op-temporal');
  // The server keeps every workflow across test runs: run ids unique to this run keep
  // the default workflow ids (updraft-<dag>-<run>-<task>-<map>) fresh.
  const runId = (name: string) => uniqueTemporalId(name);

  const q = <T>(sql: string, bindings: unknown[]) => rows<T>(h.db, sql, bindings);
  const xcom = async (run: string, taskId: string, key = 'return_value') => (await q<{ value: unknown }>(`
    select x.value from xcom x join dag_run r on r.id = x.dag_run_id where r.run_id = ? and x.task_id = ? and x.key = ?`,
  [run, taskId, key]))[0]?.value;
  const tryErrors = async (run: string, taskId: string) => (await q<{ error: string | null }>(`
    select t.error from task_instance_try t join task_instance ti on ti.id = t.ti_id
    where ti.run_id = ? and ti.task_id = ? order by t.try_number`, [run, taskId])).map((r) => r.error);
  const logOf = async (run: string, taskId: string, tryNumber: number) => (await q<{ message: string }>(`
    select l.message from task_log l join task_instance ti on ti.id = l.ti_id
    where ti.run_id = ? and ti.task_id = ? and l.try_number = ? order by l.id`, [run, taskId, tryNumber])).map((r) => r.message).join('\n');
  const until = async (what: string, check: () => Promise<boolean>) => {
    for (let i = 0; i < 600; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`gave up waiting for ${what}`);
  };
  const latestRun = async (workflowId: string) => (await client.workflow.getHandle(workflowId).describe()).runId;

  before(async () => {
    await requireTemporal();
    try {
      // Keep the SDK's per-workflow INFO lines out of the test output (once per process).
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch { /* another test file installed the runtime first */ }
    const t = testTemporal();
    native = await NativeConnection.connect({ address: t.address });
    // Bundling the workflows (webpack) takes a few seconds: once per file.
    worker = await TemporalWorker.create({ connection: native, namespace: t.namespace, taskQueue, workflowsPath: WORKFLOWS });
    working = worker.run();
    client = await temporalClient();
    h = await Harness.create();
    await h.db('connection').insert({ conn_id: 'temporal_default', conn_type: 'temporal', host: t.address, extra: JSON.stringify({ namespace: t.namespace }) });
    h.writeDag('temporal_yaml.yaml', `
dag_id: temporal_yaml
schedule: null
default_args: { retries: 0 }
tasks:
  - id: echo
    type: temporal_workflow
    workflow_type: echo
    task_queue: ${taskQueue}
    args: ['{{ ds }}', 3, { run: '{{ run_id }}' }]
  - id: fire_and_forget
    type: temporal_workflow
    workflow_type: echo
    task_queue: ${taskQueue}
    workflow_id: 'fire-{{ run_id }}'
    wait: false
  - id: sense
    type: temporal_workflow_sensor
    depends_on: [echo]
    workflow_id: '{{ ti.xcom_pull(task_ids="echo", key="temporal_workflow").workflow_id }}'
    poke_interval: 0.2
`);
    h.writeDag('temporal_signal.json', JSON.stringify({
      dag_id: 'temporal_signal', default_args: { retries: 0 }, tasks: [
        { id: 'park', type: 'temporal_workflow', workflow_type: 'waitForRelease', task_queue: taskQueue,
          workflow_id: 'park-{{ run_id }}', args: ['parked'], wait: false },
        { id: 'release', type: 'temporal_workflow', depends_on: ['park'], workflow_id: 'park-{{ run_id }}',
          signal: { name: 'release', args: ['{{ ds }}'] } },
        { id: 'signal_with_start', type: 'temporal_workflow', workflow_type: 'waitForRelease', task_queue: taskQueue,
          args: ['hello'], signal: { name: 'release', args: [{ n: 1 }] } },
      ],
    }));
    h.writeDag('temporal_fail.json', JSON.stringify({
      dag_id: 'temporal_fail', default_args: { retries: 0 }, tasks: [
        { id: 'fails', type: 'temporal_workflow', workflow_type: 'failWith', task_queue: taskQueue, args: ['bad input for {{ ds }}'] },
        { id: 'sense_failed', type: 'temporal_workflow_sensor', depends_on: ['fails'], trigger_rule: 'all_done',
          workflow_id: 'updraft-temporal_fail-{{ run_id }}-fails--1', poke_interval: 0.2 },
        { id: 'sense_soft', type: 'temporal_workflow_sensor', depends_on: ['fails'], trigger_rule: 'all_done',
          workflow_id: 'updraft-temporal_fail-{{ run_id }}-fails--1', poke_interval: 0.2, soft_fail: true },
        { id: 'sense_missing', type: 'temporal_workflow_sensor', workflow_id: 'never-started-{{ run_id }}', check_existence: true },
      ],
    }));
    h.writeDag('temporal_retry.ts', `
import { DAG, TemporalWorkflowOperator, TemporalWorkflowSensor } from 'updraft';
const dag = new DAG({ dag_id: 'temporal_retry', schedule: null });
// The first try times out while the workflow waits; the retry must re-attach to it.
new TemporalWorkflowOperator({ task_id: 'slow', dag, workflow_type: 'waitForRelease', task_queue: '${taskQueue}',
  execution_timeout: 2, retries: 1, retry_delay: 0, cancel_on_kill: false });
// Waits (giving its slot back between pokes) for that workflow, started or not yet.
new TemporalWorkflowSensor({ task_id: 'watch_slow', dag, mode: 'reschedule', poke_interval: 0.2,
  workflow_id: 'updraft-temporal_retry-{{ run_id }}-slow--1' });
// Aborted by its timeout with cancel_on_kill (the default): the workflow is cancelled.
new TemporalWorkflowOperator({ task_id: 'cancelled', dag, workflow_type: 'waitForRelease', task_queue: '${taskQueue}',
  execution_timeout: 1, retries: 0 });
`);
    await h.processDags();
    expect(await q<{ filename: string; error: string }>('select filename, error from import_error', [])).to.deep.equal([]);
    await h.startScheduler();
    await h.startWorker();
  });

  after(async () => {
    await h?.stop();
    worker?.shutdown();
    await working;
    await native?.close();
    await client?.connection.close();
  });

  it('runs a declarative DAG: the result is the XCom, the workflow id is recorded, the sensor sees it complete', async () => {
    const run = await h.trigger({ dag_id: 'temporal_yaml', run_id: runId('yaml'), logical_date: new Date('2026-11-20T00:00:00Z') });
    expect(await h.waitForRun('temporal_yaml', run.run_id, 60_000)).to.equal('success');
    const result = { echoed: ['2026-11-20', 3, { run: run.run_id }] };
    expect(await xcom(run.run_id, 'echo')).to.deep.equal(result);
    const workflowId = `updraft-temporal_yaml-${run.run_id}-echo--1`;
    const { namespace } = testTemporal();
    expect(await xcom(run.run_id, 'echo', 'temporal_workflow')).to.deep.equal({ workflow_id: workflowId, run_id: await latestRun(workflowId), namespace });
    expect(await logOf(run.run_id, 'echo', 1)).to.include(`Temporal workflow ${workflowId} run `);
    expect(await xcom(run.run_id, 'sense')).to.deep.equal(result);

    const fired = await xcom(run.run_id, 'fire_and_forget') as { workflow_id: string; run_id: string };
    expect(fired).to.deep.equal({ workflow_id: `fire-${run.run_id}`, run_id: await latestRun(`fire-${run.run_id}`) });
    expect(await client.workflow.getHandle(fired.workflow_id, fired.run_id).result()).to.deep.equal({ echoed: [] });
  });

  it('signals a running workflow and waits for it; signal-with-start starts and signals at once', async () => {
    const run = await h.trigger({ dag_id: 'temporal_signal', run_id: runId('signal'), logical_date: new Date('2026-11-21T00:00:00Z') });
    expect(await h.waitForRun('temporal_signal', run.run_id, 60_000)).to.equal('success');
    expect(await xcom(run.run_id, 'release')).to.deep.equal({ released: '2026-11-21', greeting: 'parked' });
    expect((await xcom(run.run_id, 'release', 'temporal_workflow') as { run_id: string }).run_id)
      .to.equal((await xcom(run.run_id, 'park') as { run_id: string }).run_id);
    expect(await xcom(run.run_id, 'signal_with_start')).to.deep.equal({ released: { n: 1 }, greeting: 'hello' });
  });

  it('fails with the workflow\'s failure message; the sensor fails on it without retry, or skips with soft_fail', async () => {
    const run = await h.trigger({ dag_id: 'temporal_fail', run_id: runId('fail'), logical_date: new Date('2026-11-22T00:00:00Z') });
    expect(await h.waitForRun('temporal_fail', run.run_id, 60_000)).to.equal('failed');
    const workflowId = `updraft-temporal_fail-${run.run_id}-fails--1`;
    const message = `Temporal workflow ${workflowId} (run ${await latestRun(workflowId)}) failed: bad input for 2026-11-22 (TestFailure)`;
    expect(await tryErrors(run.run_id, 'fails')).to.deep.equal([message]);
    expect(await tryErrors(run.run_id, 'sense_failed')).to.deep.equal([message]);
    const states = await h.taskStates('temporal_fail', run.run_id);
    expect(states).to.deep.include({ fails: 'failed', sense_failed: 'failed', sense_soft: 'skipped', sense_missing: 'failed' });
    expect(await tryErrors(run.run_id, 'sense_missing')).to.deep.equal([`Temporal workflow never-started-${run.run_id} does not exist`]);
  });

  it('re-attaches a retried task instance to the execution its first try started, and cancels on kill by default', async () => {
    const run = await h.trigger({ dag_id: 'temporal_retry', run_id: runId('retry') });
    const workflowId = `updraft-temporal_retry-${run.run_id}-slow--1`;
    await until('the retry to re-attach', async () => (await logOf(run.run_id, 'slow', 2)).includes('re-attached'));
    const firstRun = await latestRun(workflowId);
    await client.workflow.getHandle(workflowId).signal('release', 'at last');
    expect(await h.waitForRun('temporal_retry', run.run_id, 60_000)).to.equal('failed'); // `cancelled` fails the run
    expect(await h.taskStates('temporal_retry', run.run_id)).to.deep.equal({ slow: 'success', watch_slow: 'success', cancelled: 'failed' });
    expect(await xcom(run.run_id, 'slow')).to.deep.equal({ released: 'at last', greeting: null });
    expect(await xcom(run.run_id, 'watch_slow')).to.deep.equal({ released: 'at last', greeting: null });
    expect(await logOf(run.run_id, 'watch_slow', 1)).to.include(`poking for Temporal workflow ${workflowId} run ${firstRun}: running`);
    expect((await tryErrors(run.run_id, 'slow'))[0]).to.match(/execution_timeout/);
    // One execution: the latest is still the one the first try started.
    expect(await latestRun(workflowId)).to.equal(firstRun);
    expect(await logOf(run.run_id, 'slow', 1)).to.include(`Temporal workflow ${workflowId} run ${firstRun}`);
    expect(await logOf(run.run_id, 'slow', 1)).to.include('keeps running');

    const cancelled = client.workflow.getHandle(`updraft-temporal_retry-${run.run_id}-cancelled--1`);
    await until('the cancellation to close the workflow', async () => (await cancelled.describe()).status.name !== 'RUNNING');
    expect((await cancelled.describe()).status.name).to.equal('CANCELLED');
  });

  it('rejects invalid arguments when the DAG is built, naming the argument', () => {
    const fails = (build: () => unknown) => { try { build(); } catch (err) { return (err as Error).message; } return 'no error'; };
    expect(fails(() => new TemporalWorkflowOperator({ task_id: 'a', workflow_type: 'echo' })))
      .to.equal('task "a": task_queue: task_queue is required with workflow_type');
    expect(fails(() => new TemporalWorkflowOperator({ task_id: 'a' })))
      .to.equal('task "a": give workflow_type (with task_queue) to start a workflow, or signal (with workflow_id) to signal one');
    expect(fails(() => new TemporalWorkflowOperator({ task_id: 'a', signal: { name: 'go' } })))
      .to.equal('task "a": workflow_id: workflow_id is required to signal an existing workflow');
    expect(fails(() => new TemporalWorkflowSensor({ task_id: 's', workflow_id: 'w', allowed_states: ['success' as never] })))
      .to.match(/^task "s": allowed_states\.0: unknown workflow state "success" \(valid: running, completed, /);
    expect(fails(() => new TemporalWorkflowSensor({ task_id: 's', workflow_id: 'w', allowed_states: ['failed'], failed_states: ['failed'] })))
      .to.equal('task "s": state(s) failed cannot be both allowed and failed/skipped');
  });

  describe('tries of one task instance, run directly', () => {
    const direct = (dagRun: string, checkpoint: CheckpointHandle, pushed: Array<[string, unknown]>, lines: string[]): TaskContext => ({
      dag_id: 'direct', task_id: 't', run_id: dagRun, logical_date: null, data_interval_start: null, data_interval_end: null,
      params: {}, conf: {}, signal: new AbortController().signal, template: {}, render: (s) => s, upstream: [], run_type: 'manual',
      log: { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) },
      dagSpec: { dag_id: 'direct', tasks: [] } as unknown as TaskContext['dagSpec'],
      skip: async () => undefined, triggerRun: async () => ({ run_id: 'x' }), runState: async () => null,
      getConnection: (id) => getConnection(h.db, id, h.config.databaseUrl),
      checkpoint,
      ti: { dag_id: 'direct', task_id: 't', run_id: dagRun, map_index: -1, try_number: 1, max_tries: 2, try_started_at: new Date(),
        xcom_pull: async () => null, xcom_push: async (k, v) => { pushed.push([k, v]); } },
    });
    const op = () => new TemporalWorkflowOperator({ task_id: 't', workflow_type: 'echo', task_queue: taskQueue, args: ['once'] });

    it('a second try after success takes the completed execution\'s result; a cleared instance starts anew', async () => {
      const dagRun = runId('direct');
      const workflowId = `updraft-direct-${dagRun}-t--1`;
      const checkpoint = memoryCheckpoints();
      const pushed: Array<[string, unknown]> = [];
      const lines: string[] = [];
      expect(await op().execute(op().args, direct(dagRun, checkpoint, pushed, lines))).to.deep.equal({ echoed: ['once'] });
      const first = await latestRun(workflowId);
      expect(await op().execute(op().args, direct(dagRun, checkpoint, pushed, lines))).to.deep.equal({ echoed: ['once'] });
      expect(await latestRun(workflowId)).to.equal(first);
      expect(lines.at(-2)).to.match(/already completed; taking the result of Temporal workflow/);
      expect(pushed.map(([, v]) => (v as { run_id: string }).run_id)).to.deep.equal([first, first]);

      // A try that died between recording its intent and the run: the memo identifies the execution.
      const crashed = memoryCheckpoints();
      await crashed.save({ workflow_id: workflowId, run_id: null, signalled: false }, 'temporal_workflow');
      await op().execute(op().args, direct(dagRun, crashed, pushed, lines));
      expect(await latestRun(workflowId)).to.equal(first);

      // Cleared (no checkpoint): the task runs again, a new execution.
      await op().execute(op().args, direct(dagRun, memoryCheckpoints(), pushed, lines));
      expect(await latestRun(workflowId)).to.not.equal(first);
    });
  });
});
