/**
 * Exactly once across SIGKILL: `updraft worker` child processes run two extracts of the
 * same 50,000 records (3 partitions, batches of 1000), one into PostgreSQL (metadata
 * database: rows + checkpoint in one transaction) and one into a jsonl file (fdatasync and
 * checkpoint; truncated back on retry; no unique key to hide a duplicate). The records
 * are produced over about 30 s while they run, so both sinks are mid-run at every
 * kill (pre-produced, the faster jsonl extract could finish within one worker's life).
 * The worker is killed with SIGKILL three times; the scheduler retries the zombies on a
 * new worker each time. At the end both sinks hold every record exactly once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { createTopic, deleteTopic, produceJson, uniqueTopic } from '../support/kafka.ts';
import { createHarness, exitWithin, Procs, sleep, stuckTaskInstances, taskInstance, tries, waitFor } from '../support/res-procs.ts';

const FAST = { UPDRAFT_ZOMBIE_THRESHOLD: '2', UPDRAFT_QUEUED_CHECK_AFTER: '1' };
const N = 50_000;

describe('KafkaExtractOperator: SIGKILLed workers, then retries: every record exactly once', function () {
  this.timeout(300_000);
  let h: Harness | null = null;
  let dir = '';
  let topic = '';
  const procs = new Procs();
  let stopProducing = false;

  afterEach(async () => {
    stopProducing = true;
    await procs.killAll();
    await h?.stop();
    h = null;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (topic) await deleteTopic(topic).catch(() => undefined);
  });

  it('three SIGKILLs mid-run: the postgres and the jsonl sink each hold the 50,000 records once', async () => {
    h = await createHarness({ env: FAST });
    const hh = h;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-kx-kill-'));
    topic = uniqueTopic('extract-kill');
    await createTopic(topic, 3);
    // 500 records every 300 ms in the background (about 30 s): slower than either extract.
    const producing = (async () => {
      for (let produced = 0; produced < N && !stopProducing; produced += 500) {
        await produceJson(topic, Array.from({ length: 500 }, (_, i) => ({ n: produced + i, pad: 'x'.repeat(200) })));
        await sleep(300);
      }
    })().catch((err: unknown) => err as Error); // awaited (and rethrown) at the end
    const file = path.join(dir, 'out.jsonl');
    const common = { topic, start_offset: 'earliest', max_records: 1000, idle_timeout: 3, retries: 6, retry_delay: 0 };
    hh.writeDag('kx_kill.ts', `import { DAG, KafkaExtractOperator } from 'updraft';
const dag = new DAG({ dag_id: 'kx_kill', schedule: null, start_date: '2026-01-01' });
new KafkaExtractOperator({ task_id: 'to_pg', dag, ...${JSON.stringify({ ...common, consumer_group: `${topic}-pg`, sink: { type: 'postgres', table: 'kill_sink' } })} });
new KafkaExtractOperator({ task_id: 'to_file', dag, ...${JSON.stringify({ ...common, consumer_group: `${topic}-file`, sink: { type: 'jsonl', path: file } })} });
`);
    expect(await hh.processDags()).to.equal(0);
    await hh.startScheduler();
    const run = await hh.trigger({ dag_id: 'kx_kill' });

    const pgCount = async () => {
      const exists = await rows(hh.db, `select 1 from pg_tables where tablename = 'kill_sink'`);
      return exists.length ? Number((await rows<{ n: string }>(hh.db, 'select count(*) n from kill_sink'))[0]!.n) : 0;
    };
    const fileLines = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').length - 1 : 0);

    let seen = 0;
    for (let kill = 1; kill <= 3; kill++) {
      const worker = procs.spawnCli(['worker', '--concurrency', '4', '--no-temporal'], hh.env);
      // Kill once both tasks made progress in this worker: mid-run, most likely inside a batch.
      const from = { pg: await pgCount(), file: fileLines() };
      await waitFor(`progress before kill ${kill}`, async () => (await pgCount()) >= from.pg + 2500 && fileLines() >= from.file + 2500, 90_000, 20);
      worker.child.kill('SIGKILL');
      expect((await exitWithin(worker, 5000)).signal).to.equal('SIGKILL');
      seen = await pgCount();
      expect(seen, `kill ${kill} came before the end`).to.be.below(N);
      expect(fileLines(), `kill ${kill} came before the end of the file`).to.be.below(N);
      const pgTi = (await taskInstance(hh, 'kx_kill', run.run_id, 'to_pg'))!;
      expect(pgTi.pid, 'the task ran in the killed worker').to.equal(worker.pid);
    }
    procs.spawnCli(['worker', '--concurrency', '4', '--no-temporal'], hh.env);
    const producerError = await producing;
    if (producerError) throw producerError;
    expect(await hh.waitForRun('kx_kill', run.run_id, 180_000)).to.equal('success');

    const [c] = await rows<{ n: string; d: string; dn: string }>(hh.db,
      `select count(*) n, count(distinct (partition, "offset")) d, count(distinct value->>'n') dn from kill_sink`);
    expect([Number(c!.n), Number(c!.d), Number(c!.dn)]).to.deep.equal([N, N, N]);

    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { value: { n: number }; partition: number; offset: string });
    expect(lines.length, 'jsonl lines (no unique key here: a duplicate would show)').to.equal(N);
    expect(new Set(lines.map((l) => l.value.n)).size).to.equal(N);
    expect(new Set(lines.map((l) => `${l.partition}/${l.offset}`)).size).to.equal(N);

    for (const task of ['to_pg', 'to_file']) {
      const ti = (await taskInstance(hh, 'kx_kill', run.run_id, task))!;
      const t = await tries(hh, ti.id);
      expect(t.length, `${task} tries`).to.equal(4);
      expect(t.slice(0, 3).every((x) => /zombie/.test(x.error ?? '')), JSON.stringify(t)).to.equal(true);
      expect(t[3]!.state).to.equal('success');
    }
    expect(await stuckTaskInstances(hh)).to.deep.equal([]);
  });
});
