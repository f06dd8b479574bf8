/**
 * Kafka ingestion figures (the README's "Kafka ingestion" table comes from here): records
 * per second read from one 3-partition topic of N JSON records (BENCH_KAFKA_RECORDS,
 * default 1,000,000), in the same run, by
 *  (a) a bare kafkajs consumer (its own group) that JSON.parses each record: the ceiling;
 *  (b) KafkaExtractOperator with the jsonl sink, and
 *  (c) KafkaExtractOperator with the postgres sink (metadata database),
 * (b) and (c) as real DAG runs: an `updraft scheduler` and an `updraft worker` process on
 * a throwaway installation (bench/setup.ts). Target: (b) >= 0.8x (a).
 *
 * (a) and (b) run in turns, BENCH_KAFKA_ROUNDS times (default 3), each turn with new
 * consumer groups (and a new file), and the result is the median of the turns' ratios:
 * on a shared 2-core machine one pair of runs varied by more than 10%. (c) runs once.
 * A million records take (a) about 2 s; with 200,000 a third of that was the start
 * (connect, group join, first fetch), which says little about a rate.
 *
 * Every path is timed the same way, from "start reading" to "last record done", so the
 * fixed costs (connect, group join, metadata) count for all of them:
 *  - bare: from before connect() to the N-th record parsed (in this process);
 *  - extract: from the task instance's start_date to the timestamp of the task's last
 *    "batch ..." log line, which the operator writes right after the batch's sink commit
 *    and its Kafka offset commit. The idle_timeout that ends the task afterwards is not
 *    counted (it is waiting for records that will not come, not work).
 *
 * Both consumers use the same fetch settings (CONSUMER_FETCH of operators/kafka/consume.ts).
 * BENCH_DEBUG=1 prints each extract's task log with the milliseconds since its start.
 *
 *   npm run bench:kafka      (services must be up: bash scripts/services.sh start --with-kafka)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import kafkajs, { type KafkaMessage } from 'kafkajs';
import { triggerDagRun } from '../core/transitions/trigger-run.ts';
import { CONSUMER_FETCH } from '../operators/kafka/consume.ts';
import { createBenchInstall, waitForComponents, waitForRunState, type BenchInstall } from './setup.ts';

const { Kafka, logLevel, Partitioners } = kafkajs;

const N = Number(process.env.BENCH_KAFKA_RECORDS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_KAFKA_ROUNDS ?? 3);
const PARTITIONS = 3;
const MAX_RECORDS = Number(process.env.BENCH_KAFKA_MAX_RECORDS ?? 10_000); // the operator's default
const TARGET = 0.8;

interface Measure { records: number; seconds: number; rate: number }

function measure(records: number, seconds: number): Measure {
  return { records, seconds: +seconds.toFixed(3), rate: Math.round(records / seconds) };
}

/** N clickstream-like JSON records (about 180 bytes each), spread evenly over the partitions. */
async function produce(kafka: InstanceType<typeof Kafka>, topic: string): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const SEND = 5000; // well below the broker's 1 MB request limit
    for (let i = 0; i < N; i += SEND) {
      const messages = [];
      for (let j = i; j < Math.min(N, i + SEND); j++) {
        messages.push({ partition: j % PARTITIONS, key: `user-${j % 1000}`, value: JSON.stringify({
          n: j, user_id: `u${j % 9973}`, event_type: ['view', 'click', 'scroll'][j % 3],
          page_url: `https://example.com/p/${j % 500}`, ts: 1_780_000_000_000 + j, tags: ['a', 'b'],
        }) });
      }
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** (a) The ceiling: a kafkajs consumer that only parses each record. */
async function bareConsumer(kafka: InstanceType<typeof Kafka>, topic: string, groupId: string): Promise<Measure> {
  // The extract's fetch settings (CONSUMER_FETCH), so both read the topic the same way.
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, ...CONSUMER_FETCH });
  const began = performance.now();
  let seen = 0;
  let sink = 0; // keeps the parse from being optimised away
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bare consumer: ${seen} of ${N} records after 300 s`)), 300_000);
      consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages as KafkaMessage[]) {
            const v = JSON.parse(m.value!.toString('utf8')) as { n: number };
            sink += v.n & 1;
          }
          seen += batch.messages.length;
          if (seen >= N) { clearTimeout(timer); resolve(); }
        },
      }).catch(reject);
    });
    const secs = (performance.now() - began) / 1000;
    if (sink < 0) throw new Error('unreachable');
    return measure(seen, secs);
  } finally {
    await consumer.disconnect();
  }
}

function extractDag(dagId: string, args: Record<string, unknown>): string {
  return `import { DAG, KafkaExtractOperator } from 'updraft';
const dag = new DAG({ dag_id: '${dagId}', schedule: null, start_date: '2026-01-01' });
new KafkaExtractOperator({ task_id: 'extract', dag, ...${JSON.stringify(args)} });
`;
}

/** (b), (c): one DAG run of an extract on the worker; timed from its own records (see the header). */
async function extractRun(install: BenchInstall, dagId: string): Promise<Measure & { summary: Record<string, unknown> }> {
  const { db } = install;
  const run = await triggerDagRun(db, { dag_id: dagId, logical_date: null });
  const state = await waitForRunState(db, run.id, 600_000);
  const r = (await db.raw(`
    select extract(epoch from (select max(l.ts) from task_log l where l.ti_id = ti.id and l.message like 'batch %') - ti.start_date) as secs,
           (select value from xcom x where x.dag_run_id = ti.dag_run_id and x.task_id = ti.task_id and x.key = 'return_value') as summary,
           (select string_agg(message, ' | ') from task_log l where l.ti_id = ti.id and l.stream <> 'stdout') as problems
    from task_instance ti where ti.dag_run_id = ? and ti.task_id = 'extract'`, [run.id])) as
    { rows: Array<{ secs: string | null; summary: Record<string, unknown> | null; problems: string | null }> };
  const row = r.rows[0];
  if (state !== 'success' || !row?.summary) throw new Error(`${dagId} run ended ${state}: ${row?.problems ?? 'no log'}`);
  const records = Number(row.summary.records);
  if (records !== N) throw new Error(`${dagId}: the extract read ${records} records, not ${N}`);
  // Where the time goes: start-up (task start to the group join and to the first batch's
  // commit), the decoding time and the sink commits (which overlap the decoding of the next batches).
  const d = (await db.raw(`
    select extract(epoch from (select min(ts) from task_log l where l.ti_id = ti.id and l.message like 'joined group%') - ti.start_date) * 1000 as join_ms,
           extract(epoch from (select min(ts) from task_log l where l.ti_id = ti.id and l.message like 'batch %') - ti.start_date) * 1000 as first_ms,
           (select sum(substring(message from 'decoded in (\\d+) ms')::int) from task_log l where l.ti_id = ti.id and l.message like 'batch %') as decode_ms,
           (select round(sum(1.0 / (1 + coalesce(substring(message from 'with (\\d+) other')::int, 0)))) from task_log l
             where l.ti_id = ti.id and l.message like 'batch %') as commits
    from task_instance ti where ti.dag_run_id = ? and ti.task_id = 'extract'`, [run.id])) as { rows: Array<{ join_ms: string; first_ms: string; decode_ms: string; commits: string }> };
  const x = d.rows[0]!;
  if (process.env.BENCH_DEBUG) {
    const dbg = (await db.raw(`select extract(epoch from l.ts - ti.start_date) * 1000 as ms, left(l.message, 140) as m
      from task_log l join task_instance ti on ti.id = l.ti_id where ti.dag_run_id = ? order by l.id`, [run.id])) as { rows: Array<{ ms: string; m: string }> };
    for (const l of dbg.rows) process.stderr.write(`  ${Math.round(Number(l.ms))} ${l.m}\n`);
  }
  process.stderr.write(`${dagId}: group joined after ${Math.round(Number(x.join_ms))} ms, first batch committed after ${Math.round(Number(x.first_ms))} ms; `
    + `decoding took ${x.decode_ms} ms in all; ${x.commits} commits (sink write, checkpoint, offset commit, beside the decoding)\n`);
  return { ...measure(records, Number(row.secs)), summary: row.summary };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const id = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const topic = `bench-kafka-${id}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-bench-kafka-'));
  const jsonlPath = (round: number) => path.join(dir, `out-${round}.jsonl`);
  const table = `bench_kafka.t_${id.replace(/-/g, '_')}`;
  const common = { topic, start_offset: 'earliest', max_records: MAX_RECORDS, idle_timeout: 2 };
  const dags: Record<string, string> = {
    'bench_kafka_pg.ts': extractDag('bench_kafka_pg', { ...common, consumer_group: `${topic}-pg`, sink: { type: 'postgres', table } }),
  };
  for (let r = 1; r <= ROUNDS; r++) {
    dags[`bench_kafka_jsonl_${r}.ts`] = extractDag(`bench_kafka_jsonl_${r}`, { ...common, consumer_group: `${topic}-jsonl-${r}`, sink: { type: 'jsonl', path: jsonlPath(r) } });
  }
  const install = await createBenchInstall(dags);
  const brokers = install.config.kafkaBrokers;
  install.env.UPDRAFT_KAFKA_BROKERS = brokers.join(','); // the workers' extracts use the same broker
  const kafka = new Kafka({ clientId: 'updraft-bench', brokers, logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
    const t0 = performance.now();
    await produce(kafka, topic);
    process.stderr.write(`produced ${N} records to ${topic} (${PARTITIONS} partitions) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    install.spawn(['scheduler']);
    // --no-temporal: no durable steps here, and the Temporal worker's start (a webpack bundle
    // of the workflows, seconds of CPU) would otherwise overlap the measured runs.
    install.spawn(['worker', '-c', '4', '--no-temporal']);
    await waitForComponents(install.db, ['scheduler', 'worker']);

    const rounds: Array<{ bare: Measure; jsonl: Measure; ratio: number }> = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const bare = await bareConsumer(kafka, topic, `${topic}-bare-${r}`);
      process.stderr.write(`round ${r}: bare kafkajs consumer: ${bare.records} records in ${bare.seconds} s\n`);
      const viaJsonl = await extractRun(install, `bench_kafka_jsonl_${r}`);
      const lines = fs.readFileSync(jsonlPath(r), 'utf8').split('\n').length - 1;
      if (lines !== N) throw new Error(`the jsonl file holds ${lines} lines, not ${N}`);
      fs.rmSync(jsonlPath(r));
      process.stderr.write(`round ${r}: extract -> jsonl: ${viaJsonl.records} records in ${viaJsonl.seconds} s (${String(viaJsonl.summary.batches)} batches)\n`);
      const jsonl = { records: viaJsonl.records, seconds: viaJsonl.seconds, rate: viaJsonl.rate };
      rounds.push({ bare, jsonl, ratio: +(jsonl.rate / bare.rate).toFixed(2) });
    }
    const viaPg = await extractRun(install, 'bench_kafka_pg');
    const count = (await install.db.raw(`select count(*)::int as n from ${table}`)) as { rows: Array<{ n: number }> };
    if (count.rows[0]!.n !== N) throw new Error(`the postgres sink holds ${count.rows[0]!.n} rows, not ${N}`);
    process.stderr.write(`extract -> postgres: ${viaPg.records} records in ${viaPg.seconds} s (${String(viaPg.summary.batches)} batches)\n`);

    const bareMedian = median(rounds.map((r) => r.bare.rate));
    const ratio = median(rounds.map((r) => r.ratio));
    const result = {
      machine: `${os.cpus().length} cores`, records: N, partitions: PARTITIONS, max_records: MAX_RECORDS, rounds,
      postgres: { records: viaPg.records, seconds: viaPg.seconds, rate: viaPg.rate },
      ratio_jsonl_to_bare_median: ratio, ratio_postgres_to_bare_median: +(viaPg.rate / bareMedian).toFixed(2),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    const fmt = (x: number) => x.toLocaleString('en-US');
    const cells = (f: (r: (typeof rounds)[number]) => string) => rounds.map(f).join(' | ');
    process.stdout.write(`\n| ${fmt(N)} JSON records, ${PARTITIONS} partitions | ${rounds.map((_, i) => `round ${i + 1}`).join(' | ')} | median | target |\n`
      + `|---|${rounds.map(() => '---|').join('')}---|---|\n`
      + `| bare kafkajs consumer (JSON.parse each), records/s | ${cells((r) => fmt(r.bare.rate))} | ${fmt(bareMedian)} | |\n`
      + `| kafka_extract -> jsonl (worker), records/s | ${cells((r) => fmt(r.jsonl.rate))} | ${fmt(median(rounds.map((r) => r.jsonl.rate)))} | |\n`
      + `| jsonl / bare | ${cells((r) => `${r.ratio.toFixed(2)}x`)} | **${ratio.toFixed(2)}x** | >= ${TARGET}x |\n`
      + `| kafka_extract -> postgres (worker), records/s | ${rounds.map(() => '').join(' | ')} | ${fmt(viaPg.rate)} (one run, ${result.ratio_postgres_to_bare_median.toFixed(2)}x) | |\n`);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await install.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err: unknown) => { process.stderr.write(`bench failed: ${String(err)}\n`); process.exit(1); });
