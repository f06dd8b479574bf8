/**
 * The consumer group's offsets kept beside the sink (real broker, real PostgreSQL,
 * in-process scheduler and worker). The window they close: an instance commits a batch to
 * its sink, then dies before its Kafka commit, and the partition goes to another task
 * instance of the same consumer group. Reproduced deterministically: instance A reads the
 * topic to the end (sink, its checkpoint and the group's offsets all committed), then
 * Kafka's group offsets are set back, as if A's last Kafka commits never happened; then
 * instance B (another task, its own sink) starts on the group. B must resume after what
 * A's sink holds, not at Kafka's offsets, and write only what came after:
 * - jsonl sink (offsets in `kafka_group_offsets`, metadata database);
 * - postgres sink on the metadata database (B writes another table, so no unique index
 *   hides a duplicate);
 * - postgres sink on another database (offsets in its `updraft_kafka_offsets`).
 * And the guard inside the batch's transaction: records the group's offsets already cover
 * when B commits (another instance wrote them behind its back) are left out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { addConnection } from '../../core/connections/manage-connections.ts';
import { parseConnectionUri } from '../../core/connections/connection-uri.ts';
import { rows } from '../../core/transitions/sql.ts';
import type { Db } from '../../core/db/connect.ts';
import { createTestDatabase } from '../support/fresh-db.ts';
import type { Harness } from '../support/harness.ts';
import { kafkaAdmin, produceJson, setGroupOffsets } from '../support/kafka.ts';
import { extractBed } from '../support/kafka-extract-bed.ts';
import { waitFor } from '../support/res-procs.ts';

type Line = { value: { n: number }; partition: number; offset: string };

describe('KafkaExtractOperator: the group\'s offsets kept with the sink', function () {
  this.timeout(240_000);
  const bed = extractBed('shared');
  const { topic, deploy } = bed;
  // The bed's hooks run first: these name its harness and folder for the tests below.
  let h: Harness;
  let dir = '';
  before(() => { h = bed.h; dir = bed.dir; });

  /** Deploy a one-task DAG, run it to the end, return its run id and log. */
  async function runTask(dagId: string, args: Record<string, unknown>): Promise<{ runId: string; log: string }> {
    await deploy(dagId, { extract: args });
    const run = await h.trigger({ dag_id: dagId });
    const state = await h.waitForRun(dagId, run.run_id, 90_000);
    const log = (await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance t on t.id = l.ti_id
      where t.run_id = ? order by l.id`, [run.run_id])).map((l) => l.message).join('\n');
    expect(state, log).to.equal('success');
    return { runId: run.run_id, log };
  }

  /** 2 partitions, records n = from..from+count-1 alternating between them. */
  const produce = (t: string, from: number, count: number) =>
    produceJson(t, Array.from({ length: count }, (_, i) => ({ n: from + i })), { partition: (_r, i) => i % 2 });

  /** As if the instance's last Kafka commits were lost: the group's Kafka offsets go back (the group has no member now). */
  async function rewindKafka(group: string, t: string, offsets: [string, string]): Promise<void> {
    await setGroupOffsets(group, t, offsets.map((offset, partition) => ({ partition, offset })));
    const admin = await kafkaAdmin();
    try {
      const [now] = await admin.fetchOffsets({ groupId: group, topics: [t] });
      expect(now!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)).to.deep.equal(offsets);
    } finally { await admin.disconnect(); }
  }

  const readLines = (file: string): Line[] => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  const ns = (values: number[]) => [...values].sort((a, b) => a - b);
  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

  async function groupOffsets(db: Db, table: string, group: string): Promise<string[]> {
    return (await rows<{ offset: string }>(db, `select "offset"::text as "offset" from ${table} where consumer_group = ? order by partition`, [group])).map((r) => r.offset);
  }

  it('jsonl: B resumes after what A\'s sink holds, not at Kafka\'s older group offset; nothing is written twice', async () => {
    const t = await topic(2);
    const group = `${t}-g`;
    const common = { topic: t, consumer_group: group, start_offset: 'earliest', max_records: 200, idle_timeout: 2 };
    await produce(t, 0, 1000);
    await runTask('kx_shared_jsonl_a', { ...common, sink: { type: 'jsonl', path: path.join(dir, 'a.jsonl') } });
    expect(await groupOffsets(h.db, 'kafka_group_offsets', group), 'the group\'s offsets, committed with A\'s checkpoint').to.deep.equal(['499', '499']);
    await rewindKafka(group, t, ['300', '100']);
    await produce(t, 1000, 200);

    const b = await runTask('kx_shared_jsonl_b', { ...common, sink: { type: 'jsonl', path: path.join(dir, 'b.jsonl') } });
    expect(b.log).to.include('partition 0: resuming at offset 500 (from sink)').and.include('partition 1: resuming at offset 500 (from sink)');
    expect(ns(readLines(path.join(dir, 'b.jsonl')).map((l) => l.value.n)), 'B wrote only what came after A').to.deep.equal(range(1000, 200));
    const all = [...readLines(path.join(dir, 'a.jsonl')), ...readLines(path.join(dir, 'b.jsonl'))];
    expect(ns(all.map((l) => l.value.n))).to.deep.equal(range(0, 1200));
    expect(await groupOffsets(h.db, 'kafka_group_offsets', group)).to.deep.equal(['599', '599']);
  });

  it('postgres sink on the metadata database: the same, B writing another table (no unique index to hide a duplicate)', async () => {
    const t = await topic(2);
    const group = `${t}-g`;
    const common = { topic: t, consumer_group: group, start_offset: 'earliest', max_records: 200, idle_timeout: 2 };
    await produce(t, 0, 600);
    await runTask('kx_shared_pg_a', { ...common, sink: { type: 'postgres', table: 'shared_a' } });
    await rewindKafka(group, t, ['0', '250']);
    await produce(t, 600, 100);
    const b = await runTask('kx_shared_pg_b', { ...common, sink: { type: 'postgres', table: 'shared_b' } });
    expect(b.log).to.include('partition 0: resuming at offset 300 (from sink)');
    const got = await rows<{ n: number }>(h.db, `select (value->>'n')::int n from shared_b`);
    expect(ns(got.map((r) => r.n))).to.deep.equal(range(600, 100));
  });

  it('postgres sink on another database: its updraft_kafka_offsets are the group\'s offsets', async () => {
    const t = await topic(2);
    const group = `${t}-g`;
    const other = await createTestDatabase(2);
    try {
      await addConnection(h.db, { conn_id: 'shared_wh', description: null, ...parseConnectionUri(other.url.replace(/^postgresql:/, 'postgres:')) }, h.config.fernetKey);
      const common = { topic: t, consumer_group: group, start_offset: 'earliest', max_records: 200, idle_timeout: 2 };
      await produce(t, 0, 400);
      await runTask('kx_shared_ext_a', { ...common, sink: { type: 'postgres', table: 'landing.a', conn_id: 'shared_wh' } });
      expect(await groupOffsets(other.db, 'updraft_kafka_offsets', group)).to.deep.equal(['199', '199']);
      await rewindKafka(group, t, ['50', '50']);
      await produce(t, 400, 60);
      const b = await runTask('kx_shared_ext_b', { ...common, sink: { type: 'postgres', table: 'landing.b', conn_id: 'shared_wh' } });
      expect(b.log).to.include('partition 1: resuming at offset 200 (from');
      const got = await rows<{ n: number }>(other.db, `select (value->>'n')::int n from landing.b`);
      expect(ns(got.map((r) => r.n))).to.deep.equal(range(400, 60));
      expect(await rows(h.db, `select 1 from kafka_group_offsets where consumer_group = ?`, [group]), 'none in the metadata database').to.have.length(0);
    } finally { await other.drop(); }
  });

  it('records the group\'s offsets already cover when a batch commits (written behind its back) are left out in its transaction', async () => {
    const t = await topic(1);
    const group = `${t}-g`;
    const file = path.join(dir, 'fenced.jsonl');
    await deploy('kx_shared_fence', { extract: {
      topic: t, consumer_group: group, start_offset: 'earliest', max_records: 1000, idle_timeout: 3, sink: { type: 'jsonl', path: file },
    } });
    const run = await h.trigger({ dag_id: 'kx_shared_fence' });
    // Once it has read the group's offsets at its assignment (none yet), another instance
    // "writes" offsets 0..49: its row says so, as its commit would.
    await waitFor('the extract positioned on partition 0', async () => (await rows(h.db, `select 1 from task_log l join task_instance t on t.id = l.ti_id
      where t.run_id = ? and l.message like 'partition 0: resuming at offset 0%'`, [run.run_id])).length > 0, 60_000, 100);
    await h.db.raw(`insert into kafka_group_offsets (consumer_group, topic, partition, "offset") values (?, ?, 0, 49)`, [group, t]);
    await produceJson(t, range(0, 100).map((n) => ({ n })));
    expect(await h.waitForRun('kx_shared_fence', run.run_id, 60_000)).to.equal('success');
    expect(readLines(file).map((l) => Number(l.offset))).to.deep.equal(range(50, 50));
    const log = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance t on t.id = l.ti_id where t.run_id = ?`, [run.run_id]);
    expect(log.map((l) => l.message).join('\n')).to.match(/50 records were already in the sink/);
    expect(await groupOffsets(h.db, 'kafka_group_offsets', group)).to.deep.equal(['99']);
  });
});
