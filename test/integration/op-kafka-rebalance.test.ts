/**
 * kafka_extract task instances sharing one consumer group (real broker, real PostgreSQL,
 * in-process scheduler and workers):
 * - two instances on two workers split a 3-partition topic while 30,000 records are
 *   produced; each writes its own jsonl file (no unique key to hide a duplicate) and the
 *   files together hold every record exactly once; the `kafka_progress` XCom is read
 *   through the REST API while they run;
 * - a retry whose checkpoint went stale (another member of the group moved the partitions
 *   on in between) resumes at the group's offset, not at its checkpoint.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import { ApiClient } from '../support/api.ts';
import type { Harness } from '../support/harness.ts';
import { consumeAll, createTopic, deleteTopic, kafkaAdmin, produceJson, uniqueTopic } from '../support/kafka.ts';
import { extractDag } from '../support/kafka-extract-bed.ts';
import { createHarness, sleep, waitFor } from '../support/res-procs.ts';

interface Progress { records: number; lag: Record<string, number>; partitions: number[]; running: boolean }
type Line = { value: { n: number }; partition: number; offset: string };

describe('KafkaExtractOperator: consumer group rebalancing between task instances', function () {
  this.timeout(240_000);
  let h: Harness | null = null;
  let dir = '';
  const topics: string[] = [];

  beforeEach(async () => {
    h = await createHarness();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-kx-rebal-'));
  });
  afterEach(async () => {
    await h?.stop();
    h = null;
    for (const t of topics.splice(0)) await deleteTopic(t).catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function topic(partitions: number): Promise<string> {
    const t = uniqueTopic('rebal');
    topics.push(t, `${t}.dlq`);
    await createTopic(t, partitions);
    return t;
  }

  it('two instances on two workers split 3 partitions; 30,000 records produced meanwhile land once; progress readable via the API', async () => {
    const hh = h!;
    const t = await topic(3);
    const group = `${t}-g`;
    // idle_timeout: long enough for the second instance to join on a busy machine (the
    // topic is empty until both are in: the first must not stop for idleness meanwhile).
    const common = { topic: t, consumer_group: group, start_offset: 'earliest', max_records: 500, idle_timeout: 10 };
    hh.writeDag('kx_rebal.ts', extractDag('kx_rebal', {
      a: { ...common, sink: { type: 'jsonl', path: path.join(dir, 'a.jsonl') } },
      b: { ...common, sink: { type: 'jsonl', path: path.join(dir, 'b.jsonl') } },
    }));
    expect(await hh.processDags()).to.equal(0);
    const api = await ApiClient.start(hh);
    await hh.startScheduler();
    // One task at a time per worker: a and b necessarily run on different workers.
    await hh.startWorker({ concurrency: 1 });
    await hh.startWorker({ concurrency: 1 });
    const run = await hh.trigger({ dag_id: 'kx_rebal' });

    const admin = await kafkaAdmin();
    try {
      await waitFor('both instances in the group', async () => {
        const { groups } = await admin.describeGroups([group]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 2;
      }, 60_000, 100);
    } finally { await admin.disconnect(); }

    const progressOf = async (task: string): Promise<Progress | null> => {
      const res = await api.get(`/api/v2/dags/kx_rebal/dagRuns/${encodeURIComponent(run.run_id)}/taskInstances/${task}/xcomEntries/kafka_progress`);
      return res.status === 200 ? (res.body.value as Progress) : null;
    };
    // Produce while they run, reading both instances' progress through the API in between.
    const N = 30_000;
    const seen: Array<{ a: Progress | null; b: Progress | null }> = [];
    for (let i = 0; i < N; i += 3000) {
      await produceJson(t, Array.from({ length: 3000 }, (_, j) => ({ n: i + j })), { key: (_r, j) => `k${i + j}` });
      await sleep(150);
      seen.push({ a: await progressOf('a'), b: await progressOf('b') });
    }
    expect(await hh.waitForRun('kx_rebal', run.run_id, 120_000)).to.equal('success');

    const tis = await rows<{ task_id: string; worker_id: string }>(hh.db,
      'select task_id, worker_id from task_instance where run_id = ? order by task_id', [run.run_id]);
    expect(tis.map((x) => x.task_id)).to.deep.equal(['a', 'b']);
    expect(tis[0]!.worker_id, 'a and b ran on different workers').to.not.equal(tis[1]!.worker_id);

    // While both ran, each held some partitions, never the same one.
    const both = seen.filter((s) => s.a?.running && s.b?.running && s.a.partitions.length && s.b.partitions.length);
    expect(both.length, JSON.stringify(seen)).to.be.above(0);
    for (const { a, b } of both) {
      expect(a!.partitions.filter((p) => b!.partitions.includes(p)), JSON.stringify({ a, b })).to.deep.equal([]);
      expect(a!.lag).to.be.an('object');
    }
    expect(seen.some((s) => (s.a?.records ?? 0) > 0 && s.a!.running && s.a!.records < N), 'a\'s progress moved during the run').to.equal(true);

    const xcoms = await rows<{ task_id: string; key: string; value: any }>(hh.db,
      `select x.task_id, x.key, x.value from xcom x join dag_run r on r.id = x.dag_run_id where r.run_id = ? order by 1, 2`, [run.run_id]);
    const summary = (task: string, key: string) => xcoms.find((x) => x.task_id === task && x.key === key)?.value;
    const [ra, rb] = [summary('a', 'return_value').records as number, summary('b', 'return_value').records as number];
    expect(ra, 'a consumed some').to.be.above(0);
    expect(rb, 'b consumed some').to.be.above(0);
    expect(ra + rb, 'no record consumed by both').to.equal(N);
    // The final progress is the summary, with no partitions held any more.
    expect(summary('a', 'kafka_progress')).to.include({ records: ra, running: false });
    expect(summary('a', 'kafka_progress').partitions).to.deep.equal([]);

    const lines = ['a', 'b'].flatMap((f) => fs.readFileSync(path.join(dir, `${f}.jsonl`), 'utf8').trim().split('\n'))
      .map((l) => JSON.parse(l) as Line);
    expect(lines.length, 'lines in both files (no unique key: a duplicate would show)').to.equal(N);
    expect(new Set(lines.map((l) => l.value.n)).size).to.equal(N);
    expect(new Set(lines.map((l) => `${l.partition}/${l.offset}`)).size).to.equal(N);
  });

  it('a retry with a stale checkpoint resumes where another member of the group left off, not at its checkpoint', async () => {
    const hh = h!;
    const t = await topic(2);
    const group = `${t}-g`;
    await produceJson(t, Array.from({ length: 2000 }, (_, i) => ({ n: i })), { key: (_r, i) => `k${i}` });
    hh.writeDag('kx_stale.ts', extractDag('kx_stale', {
      a: { topic: t, consumer_group: group, start_offset: 'earliest', max_records: 400, idle_timeout: 10, retries: 1, retry_delay: 8, sink: { type: 'postgres', table: 'stale_sink' } },
    }));
    expect(await hh.processDags()).to.equal(0);
    await hh.startScheduler();
    await hh.startWorker();
    const run = await hh.trigger({ dag_id: 'kx_stale' });
    const count = async () => ((await rows(hh.db, `select 1 from pg_tables where tablename = 'stale_sink'`)).length
      ? Number((await rows<{ n: string }>(hh.db, 'select count(*) n from stale_sink'))[0]!.n) : 0);
    await waitFor('the first 2000 records in the sink', async () => (await count()) === 2000, 60_000, 50);

    // Make a's next batch fail (a NOT NULL column the sink does not fill): try 1 fails, a
    // leaves the group, its checkpoint says 2000 records.
    await hh.db.raw('alter table stale_sink add column must_fill int not null default 0');
    await hh.db.raw('alter table stale_sink alter column must_fill drop default');
    await produceJson(t, Array.from({ length: 2000 }, (_, i) => ({ n: 2000 + i })), { key: (_r, i) => `k${2000 + i}` });
    await waitFor('try 1 failed', async () => (await rows(hh.db,
      `select 1 from task_instance where run_id = ? and state = 'up_for_retry'`, [run.run_id])).length > 0, 60_000, 50);

    // Another member of the group reads records 2000..3999 (a real consumer, committing
    // its offsets) before a's retry: a's checkpoint is now behind the group.
    const other = await consumeAll(t, group);
    expect(other.length).to.equal(2000);
    await hh.db.raw('alter table stale_sink drop column must_fill');
    await produceJson(t, Array.from({ length: 1000 }, (_, i) => ({ n: 4000 + i })), { key: (_r, i) => `k${4000 + i}` });
    expect(await hh.waitForRun('kx_stale', run.run_id, 90_000)).to.equal('success');

    const got = (await rows<{ n: number }>(hh.db, `select (value->>'n')::int n from stale_sink order by 1`)).map((r) => r.n);
    const byOther = new Set(other.map((r) => (JSON.parse(r.value!) as { n: number }).n));
    expect(got.filter((n) => byOther.has(n)), 'records the other member took are not read again').to.deep.equal([]);
    expect(got.length).to.equal(3000);
    expect(new Set([...got, ...byOther]).size, 'together: every record once').to.equal(5000);
  });
});
