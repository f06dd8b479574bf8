/**
 * KafkaExtractOperator's `checkpoint_interval` on the real broker and PostgreSQL (in-process
 * scheduler and worker): a partition's micro-batch commits at `max_records` or when the
 * interval has passed since its previous commit, whichever comes first, so
 * - a slow topic (a few records every 200 ms) gives about one batch per interval, not
 *   one per fetch, and every record lands once;
 * - max_records still closes a batch before the interval; the rest commits at the idle end;
 * - records pending when the task is aborted are never committed: a later consumer of
 *   the group reads them all;
 * - records pending at a rebalance are dropped and read again from the committed offsets
 *   (by their new owner, or by the same instance): two instances' files together hold
 *   every record once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { rows } from '../../core/transitions/sql.ts';
import type { Harness } from '../support/harness.ts';
import { kafkaAdmin, produceJson } from '../support/kafka.ts';
import { extractBed } from '../support/kafka-extract-bed.ts';
import { sleep, waitFor } from '../support/res-procs.ts';

type Line = { value: { n: number }; partition: number; offset: string };
interface BatchLog { records: number; partition: number; first: number; last: number }

describe('KafkaExtractOperator: checkpoint_interval', function () {
  this.timeout(240_000);
  const bed = extractBed('interval');
  const { topic, deploy } = bed;
  // The bed's hooks run first: these name its harness and folder for the tests below.
  let h: Harness;
  let dir = '';
  before(() => { h = bed.h; dir = bed.dir; });

  async function waitForMembers(group: string, members: number): Promise<void> {
    const admin = await kafkaAdmin();
    try {
      await waitFor(`${members} member(s) in ${group}`, async () => {
        const { groups } = await admin.describeGroups([group]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === members;
      }, 60_000, 100);
    } finally { await admin.disconnect(); }
  }

  /** The task's "batch N: R records ... partition P offsets A..B" log lines, in order. */
  async function batches(runId: string, taskId: string): Promise<BatchLog[]> {
    const lines = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance t on t.id = l.ti_id
      where t.run_id = ? and t.task_id = ? and l.message like 'batch %' order by l.id`, [runId, taskId]);
    return lines.map(({ message }) => {
      const m = /^batch \d+: (\d+) records .* partition (\d+) offsets (\d+)\.\.(\d+),/.exec(message);
      if (!m) throw new Error(`unexpected batch line: ${message}`);
      return { records: Number(m[1]), partition: Number(m[2]), first: Number(m[3]), last: Number(m[4]) };
    });
  }

  async function summary(runId: string, taskId: string): Promise<{ records: number; batches: number }> {
    const [x] = await rows<{ value: { records: number; batches: number } }>(h.db, `select x.value from xcom x join dag_run r on r.id = x.dag_run_id
      where r.run_id = ? and x.task_id = ? and x.key = 'return_value'`, [runId, taskId]);
    return x!.value;
  }

  const readLines = (file: string): Line[] => (fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line) : []);

  it('a slow topic: about one batch per interval, not one per fetch; every record once', async () => {
    const t = await topic(1);
    const file = path.join(dir, 'slow.jsonl');
    await deploy('kx_slow', { extract: { topic: t, consumer_group: `${t}-g`, start_offset: 'earliest', max_records: 1000,
      checkpoint_interval: '2s', idle_timeout: 3, sink: { type: 'jsonl', path: file } } });
    const run = await h.trigger({ dag_id: 'kx_slow' });
    await waitForMembers(`${t}-g`, 1);
    // 3 records every 200 ms for about 8 s: 40 small fetches.
    const began = Date.now();
    let n = 0;
    for (let send = 0; send < 40; send++) {
      await produceJson(t, [0, 1, 2].map(() => ({ n: n++ })));
      await sleep(200);
    }
    const spanS = (Date.now() - began) / 1000;
    expect(await h.waitForRun('kx_slow', run.run_id, 60_000)).to.equal('success');

    const lines = readLines(file);
    expect(lines.length).to.equal(n);
    expect(new Set(lines.map((l) => l.value.n)).size).to.equal(n);
    const logged = await batches(run.run_id, 'extract');
    const s = await summary(run.run_id, 'extract');
    expect(s.records).to.equal(n);
    expect(s.batches).to.equal(logged.length);
    // One batch per 2 s of production (each closes at the first fetch or timer tick after
    // its interval), plus the last one at the idle end; far from the 40 sends.
    expect(s.batches, `${s.batches} batches over ${spanS.toFixed(1)} s`).to.be.within(2, Math.ceil(spanS / 2) + 2);
    expect(logged.every((b, i) => i === 0 || b.first === logged[i - 1]!.last + 1), JSON.stringify(logged)).to.equal(true);
  });

  it('max_records still closes a batch before the interval; the rest commits at the idle end', async () => {
    const t = await topic(1);
    const file = path.join(dir, 'max.jsonl');
    await produceJson(t, Array.from({ length: 2500 }, (_, i) => ({ n: i })));
    await deploy('kx_max', { extract: { topic: t, consumer_group: `${t}-g`, start_offset: 'earliest', max_records: 1000,
      checkpoint_interval: 600, idle_timeout: 2, sink: { type: 'jsonl', path: file } } });
    const run = await h.trigger({ dag_id: 'kx_max' });
    expect(await h.waitForRun('kx_max', run.run_id, 60_000)).to.equal('success');
    expect((await batches(run.run_id, 'extract')).map((b) => [b.records, b.first, b.last])).to.deep.equal([[1000, 0, 999], [1000, 1000, 1999], [500, 2000, 2499]]);
    expect(readLines(file).map((l) => l.value.n)).to.deep.equal(Array.from({ length: 2500 }, (_, i) => i));
  });

  it('records pending when the task is aborted are never committed: the next consumer of the group reads them all', async () => {
    const t = await topic(2);
    const group = `${t}-g`;
    await produceJson(t, Array.from({ length: 400 }, (_, i) => ({ n: i })), { partition: (_r, i) => i % 2 });
    const aborted = path.join(dir, 'aborted.jsonl');
    await deploy('kx_pending_abort', { extract: { topic: t, consumer_group: group, start_offset: 'earliest', max_records: 1000,
      checkpoint_interval: 600, idle_timeout: 300, execution_timeout: 5, sink: { type: 'jsonl', path: aborted } } });
    const first = await h.trigger({ dag_id: 'kx_pending_abort' });
    expect(await h.waitForRun('kx_pending_abort', first.run_id, 60_000)).to.equal('failed');
    const log = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance t on t.id = l.ti_id where t.run_id = ?`, [first.run_id]);
    expect(log.map((l) => l.message).join('\n'), 'it held the partitions before the timeout').to.match(/partition 1: resuming at offset 0/);
    expect(readLines(aborted), 'nothing committed to the file').to.have.length(0);
    expect(await rows(h.db, `select 1 from kafka_group_offsets where consumer_group = ? and "offset" >= 0`, [group])).to.have.length(0);
    const admin = await kafkaAdmin();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [t] });
      expect(committed!.partitions.map((p) => p.offset), 'no Kafka commit either').to.deep.equal(['-1', '-1']);
    } finally { await admin.disconnect(); }

    const next = path.join(dir, 'next.jsonl');
    await deploy('kx_pending_next', { extract: { topic: t, consumer_group: group, start_offset: 'earliest', idle_timeout: 2, sink: { type: 'jsonl', path: next } } });
    const second = await h.trigger({ dag_id: 'kx_pending_next' });
    expect(await h.waitForRun('kx_pending_next', second.run_id, 60_000)).to.equal('success');
    const lines = readLines(next);
    expect(lines.map((l) => l.value.n).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 400 }, (_, i) => i));
  });

  it('records pending at a rebalance are dropped and read again from the committed offsets: two instances\' files hold each record once', async () => {
    const t = await topic(3);
    const group = `${t}-g`;
    const common = { topic: t, consumer_group: group, start_offset: 'earliest', max_records: 5000, checkpoint_interval: 600, idle_timeout: 5 };
    await deploy('kx_rebal_a', { a: { ...common, sink: { type: 'jsonl', path: path.join(dir, 'a.jsonl') } } });
    await deploy('kx_rebal_b', { b: { ...common, sink: { type: 'jsonl', path: path.join(dir, 'b.jsonl') } } });
    const ra = await h.trigger({ dag_id: 'kx_rebal_a' });
    await waitForMembers(group, 1);
    let n = 0;
    const produce = async (count: number) => {
      await produceJson(t, Array.from({ length: count }, () => ({ n: n++ })), { key: (r) => `k${r.n}` });
    };
    await produce(3000); // pending in a: the interval is 10 minutes and max_records 5000
    await sleep(500);
    const rb = await h.trigger({ dag_id: 'kx_rebal_b' });
    // Keep a busy (not idle) until b has joined and the group is balanced again.
    await waitFor('a and b in the group', async () => {
      await produce(30);
      const admin = await kafkaAdmin();
      try {
        const { groups } = await admin.describeGroups([group]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 2;
      } finally { await admin.disconnect(); }
    }, 90_000, 300);
    await produce(3000);
    expect(await h.waitForRun('kx_rebal_a', ra.run_id, 90_000)).to.equal('success');
    expect(await h.waitForRun('kx_rebal_b', rb.run_id, 90_000)).to.equal('success');

    const joins = await rows<{ message: string }>(h.db, `select l.message from task_log l join task_instance t on t.id = l.ti_id
      where t.run_id = ? and l.message like 'joined group%'`, [ra.run_id]);
    expect(joins.length, 'a saw the rebalance').to.be.at.least(2);
    const lines = [...readLines(path.join(dir, 'a.jsonl')), ...readLines(path.join(dir, 'b.jsonl'))];
    expect(lines.length, 'lines in both files (no unique key: a duplicate would show)').to.equal(n);
    expect(new Set(lines.map((l) => l.value.n)).size).to.equal(n);
    expect(new Set(lines.map((l) => `${l.partition}/${l.offset}`)).size).to.equal(n);
    const [sa, sb] = [await summary(ra.run_id, 'a'), await summary(rb.run_id, 'b')];
    expect(sa.records + sb.records, 'records committed by a and b').to.equal(n);
    expect(sb.records, 'b took some partitions').to.be.above(0);
  });
});
