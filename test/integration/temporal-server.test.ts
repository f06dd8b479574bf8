/**
 * The real Temporal dev server of scripts/temporal.sh (npm test starts it with
 * UPDRAFT_WITH_TEMPORAL=1): it answers on loopback, serves the configured namespace,
 * shows a started workflow, and keeps it, with its history, across a server restart.
 * Every durable-step test builds on this.
 *
 * No worker runs here: the workflow's type is served by none, so it stays RUNNING with
 * its first workflow task pending, which is all the server needs to keep.
 */
import { expect } from 'chai';
import type { Client, Connection } from '@temporalio/client';
import {
  requireTemporal, restartTemporal, temporalClient, temporalConnection, testTemporal, uniqueTemporalId,
} from '../support/temporal.ts';

// grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING
const SERVING = 1;

describe('temporal server (real dev server, loopback)', function () {
  this.timeout(60_000);
  let connection: Connection;
  let client: Client;
  const started: string[] = [];

  before(async () => {
    await requireTemporal();
    connection = await temporalConnection();
    client = await temporalClient(connection);
  });
  after(async () => {
    if (!connection) return;
    // Leave nothing running on the shared server, then close the channel.
    for (const id of started) {
      const handle = client.workflow.getHandle(id);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test cleanup');
    }
    await connection.close();
  });

  // Started on a task queue of its own that no worker polls.
  const startUnserved = async (prefix: string) => {
    const workflowId = uniqueTemporalId(prefix);
    const handle = await client.workflow.start('updraftTestUnserved', {
      taskQueue: uniqueTemporalId('ts-queue'), workflowId, args: [{ note: 'no worker serves this type' }],
    });
    started.push(workflowId);
    return handle;
  };

  it('answers on a loopback address and serves the configured namespace', async () => {
    const t = testTemporal();
    expect(t.address, 'loopback').to.match(/^(127\.0\.0\.1|localhost):\d+$/);
    const health = await connection.healthService.check({});
    expect(health.status).to.equal(SERVING);
    const ns = await connection.workflowService.describeNamespace({ namespace: t.namespace });
    expect(ns.namespaceInfo?.name).to.equal(t.namespace);
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion, 'server version').to.match(/^1\.\d+\./);
  });

  it('shows a started workflow by describe, with its type and task queue', async () => {
    const handle = await startUnserved('ts-describe');
    const d = await handle.describe();
    expect(d.workflowId).to.equal(handle.workflowId);
    expect(d.runId).to.equal(handle.firstExecutionRunId);
    expect(d.type).to.equal('updraftTestUnserved');
    expect(d.status.name).to.equal('RUNNING');
    expect(d.taskQueue).to.match(/^ts-queue-/);
    await handle.terminate('done with it');
    expect((await handle.describe()).status.name).to.equal('TERMINATED');
  });

  it('keeps a running workflow and its history across a server restart', async function () {
    this.timeout(120_000);
    const handle = await startUnserved('ts-restart');
    await handle.signal('poke', 'before the restart');
    const runId = (await handle.describe()).runId;

    await restartTemporal();

    // The same client: its channel reconnects by itself, as a worker's must.
    const d = await handle.describe();
    expect(d.runId, 'the same run, not a new one').to.equal(runId);
    expect(d.status.name).to.equal('RUNNING');
    const history = await handle.fetchHistory();
    const types = (history.events ?? []).map((e) => e.eventType);
    // 1: WORKFLOW_EXECUTION_STARTED, 26: WORKFLOW_EXECUTION_SIGNALED (temporal.api.enums.v1.EventType).
    expect(types[0]).to.equal(1);
    expect(types).to.include(26);

    await handle.terminate('survived the restart');
    expect((await handle.describe()).status.name).to.equal('TERMINATED');
  });
});
