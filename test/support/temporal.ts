/**
 * Helpers for tests against the real Temporal dev server of scripts/temporal.sh (npm test
 * starts it with UPDRAFT_WITH_TEMPORAL=1; address, namespace and task queue from the
 * config). @temporalio/client only: no mocks and no in-memory test server.
 *
 * Every connection opened here is the caller's to close (`connection.close()`, or
 * `client.connection.close()`): an open gRPC channel would keep mocha from exiting.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../core/config.ts';

const TEMPORAL_SH = path.resolve(import.meta.dirname, '../../scripts/temporal.sh');

export interface TestTemporal {
  address: string;
  namespace: string;
  taskQueue: string;
}

/** Where the tests find Temporal: the config's temporalAddress, namespace and task queue. */
export function testTemporal(): TestTemporal {
  const c = loadConfig();
  return { address: c.temporalAddress, namespace: c.temporalNamespace, taskQueue: c.temporalTaskQueue };
}

/** A connected client connection to the test server; the caller closes it. */
export async function temporalConnection(address = testTemporal().address): Promise<Connection> {
  // Fail fast in tests: a server that is down should not mean a long wait.
  return Connection.connect({ address, connectTimeout: '5s' });
}

/**
 * A client on the test namespace, over `connection` or a new one. Close a new one with
 * `client.connection.close()`.
 */
export async function temporalClient(connection?: Connection): Promise<Client> {
  const { namespace } = testTemporal();
  return new Client({ connection: connection ?? await temporalConnection(), namespace });
}

/** A workflow id or task queue name no other test (or earlier run on the same server) has used. */
export function uniqueTemporalId(prefix = 'test'): string {
  return `${prefix}-${Date.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`;
}

// One probe, no retries: the frontend answers and our namespace exists. The channel is
// closed whatever happens, even when connecting failed.
async function probe(t: TestTemporal, timeoutMs: number): Promise<void> {
  const connection = Connection.lazy({ address: t.address, connectTimeout: timeoutMs, interceptors: [] });
  try {
    await connection.ensureConnected();
    await connection.withDeadline(Date.now() + timeoutMs,
      () => connection.workflowService.describeNamespace({ namespace: t.namespace }));
  } finally {
    await connection.close();
  }
}

/**
 * For a test file's before hook: fails at once, saying how to start the server, when
 * nothing answers (mocha run by hand without `npm test`), rather than each test timing
 * out on connection errors.
 */
export async function requireTemporal(): Promise<void> {
  const t = testTemporal();
  try {
    await probe(t, 3000);
  } catch (err) {
    throw new Error(`no Temporal server serves namespace ${t.namespace} on ${t.address} (${(err as Error).message}); ` +
      'start it with `bash scripts/temporal.sh start` (npm test does this itself)');
  }
}

/**
 * Restarts the private server (`scripts/temporal.sh restart`: a graceful stop, then a
 * start on the same database file, so every workflow survives) and resolves once a new
 * connection is served again. Runs the script without blocking the event loop, so a
 * worker in this process keeps running meanwhile, as it would against a real outage.
 * Open connections reconnect by themselves.
 */
export async function restartTemporal(): Promise<void> {
  const t = testTemporal();
  const port = process.env.UPDRAFT_TEMPORAL_PORT || '17233';
  if (t.address !== `127.0.0.1:${port}`) {
    throw new Error(`restartTemporal restarts the private server on 127.0.0.1:${port}, but the tests use ${t.address}`);
  }
  await new Promise<void>((resolve, reject) => {
    // The script reads UPDRAFT_HOME and UPDRAFT_TEMPORAL_PORT from the same environment.
    execFile('bash', [TEMPORAL_SH, 'restart'], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${TEMPORAL_SH} restart failed (${err.message.split('\n')[0]}):\n${stdout}${stderr}`));
      else resolve();
    });
  });
  // The script has waited for SERVING; this proves it from the SDK's side too.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await probe(t, 2000);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`Temporal on ${t.address} not ready 30 s after a restart: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
