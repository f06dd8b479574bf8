/**
 * The real broker of scripts/kafka.sh (npm test starts it with UPDRAFT_WITH_KAFKA=1):
 * it answers, keeps 10,000 records across 3 partitions in order, and a consumer group
 * splits the partitions between two members. Every other Kafka test builds on this.
 */
import { expect } from 'chai';
import type { Consumer } from 'kafkajs';
import {
  consumeAll, createTopic, deleteTopic, kafkaAdmin, kafkaClient, produceJson, requireBroker, testBrokers, uniqueTopic,
} from '../support/kafka.ts';

describe('kafka broker (real, KRaft, loopback)', function () {
  this.timeout(120_000);
  const topics: string[] = [];
  const topic = async (prefix: string, partitions: number) => {
    const name = uniqueTopic(prefix);
    topics.push(name);
    await createTopic(name, partitions);
    return name;
  };
  before(requireBroker);
  after(async () => { for (const t of topics) await deleteTopic(t); });

  it('is up on a loopback address, as one node that is also the controller', async () => {
    for (const b of testBrokers()) expect(b, 'brokers are loopback').to.match(/^(127\.0\.0\.1|localhost):\d+$/);
    const admin = await kafkaAdmin();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).to.have.length(1);
      expect(cluster.brokers[0]?.host).to.equal('127.0.0.1');
      expect(cluster.controller).to.equal(cluster.brokers[0]?.nodeId);
    } finally {
      await admin.disconnect();
    }
  });

  it('creates and deletes a topic with the asked partition count', async () => {
    const name = await topic('kb-create', 3);
    const admin = await kafkaAdmin();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [name] });
      expect(meta.topics[0]?.partitions.map((p) => p.partitionId).sort()).to.deep.equal([0, 1, 2]);
      await deleteTopic(name);
      const deadline = Date.now() + 10_000;
      while ((await admin.listTopics()).includes(name)) {
        if (Date.now() > deadline) throw new Error(`${name} still listed 10 s after deletion`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('keeps 10,000 records on 3 partitions and a consumer group reads each once, in order', async () => {
    const name = await topic('kb-10k', 3);
    const records = Array.from({ length: 10_000 }, (_, i) => ({ n: i, user: `u${i % 97}` }));
    const started = Date.now();
    // Keyed by user: each key always lands on one partition, so its records keep their order.
    await produceJson(name, records, { key: (r) => r.user, headers: { source: 'kafka-broker-test' } });
    const produceMs = Date.now() - started;

    const got = await consumeAll(name, `${name}-group`, 60_000);
    expect(got).to.have.length(10_000);
    const ns = got.map((r) => (JSON.parse(r.value ?? 'null') as { n: number }).n).sort((a, b) => a - b);
    expect(ns).to.deep.equal(records.map((r) => r.n));
    expect(new Set(got.map((r) => r.partition))).to.deep.equal(new Set([0, 1, 2]));
    expect(got[0]?.headers.source).to.equal('kafka-broker-test');

    const lastByKey = new Map<string, number>();
    for (const r of got) {
      const n = (JSON.parse(r.value ?? 'null') as { n: number }).n;
      const prev = lastByKey.get(r.key ?? '');
      if (prev !== undefined) expect(n, `order of key ${r.key}`).to.be.greaterThan(prev);
      lastByKey.set(r.key ?? '', n);
    }
    // Per partition, offsets run 0..count-1 without gaps.
    for (const p of [0, 1, 2]) {
      const offs = got.filter((r) => r.partition === p).map((r) => r.offset).sort((a, b) => a - b);
      expect(offs).to.deep.equal(offs.map((_, i) => i));
    }
    // The group committed its offsets: a second read from the same group finds nothing new.
    expect(await consumeAll(name, `${name}-group`, 10_000)).to.have.length(0);
    console.log(`      produced 10,000 records in ${produceMs} ms`);
  });

  it('rebalances a group: two consumers split the 3 partitions and together read each record once', async () => {
    const name = await topic('kb-rebalance', 3);
    const groupId = `${name}-group`;
    const kafka = kafkaClient();
    const assigned = new Map<string, number[]>();
    const seen = new Map<string, number[]>();
    const consumers: Consumer[] = [];
    const join = async (id: string) => {
      const c = kafka.consumer({ groupId, maxWaitTimeInMs: 200, sessionTimeout: 10_000, heartbeatInterval: 500 });
      consumers.push(c);
      seen.set(id, []);
      c.on(c.events.GROUP_JOIN, (e) => { assigned.set(id, e.payload.memberAssignment[name] ?? []); });
      await c.connect();
      await c.subscribe({ topic: name, fromBeginning: true });
      await c.run({
        eachMessage: async ({ message }) => {
          seen.get(id)?.push((JSON.parse(message.value?.toString() ?? 'null') as { n: number }).n);
        },
      });
    };
    const waitUntil = async (what: string, cond: () => boolean, ms = 30_000) => {
      const deadline = Date.now() + ms;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify([...assigned])}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await join('a');
      await waitUntil('a to own all partitions', () => assigned.get('a')?.length === 3);
      await join('b');
      const a = () => assigned.get('a') ?? [];
      const b = () => assigned.get('b') ?? [];
      await waitUntil('the rebalance to give both members partitions',
        () => a().length > 0 && b().length > 0 && a().length + b().length === 3);
      expect([...a(), ...b()].sort()).to.deep.equal([0, 1, 2]);

      // One record per partition at least: both members must receive some.
      const records = Array.from({ length: 3000 }, (_, i) => ({ n: i }));
      await produceJson(name, records, { partition: (_, i) => i % 3 });
      const total = () => (seen.get('a')?.length ?? 0) + (seen.get('b')?.length ?? 0);
      await waitUntil('3000 records between the two members', () => total() >= 3000);
      const all = [...(seen.get('a') ?? []), ...(seen.get('b') ?? [])].sort((x, y) => x - y);
      expect(all).to.deep.equal(records.map((r) => r.n));
      expect(seen.get('a')?.length, 'member a received records').to.be.greaterThan(0);
      expect(seen.get('b')?.length, 'member b received records').to.be.greaterThan(0);
    } finally {
      for (const c of consumers) await c.disconnect();
    }
  });
});
