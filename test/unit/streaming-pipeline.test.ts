/**
 * The seed's streaming pipeline format as a DAG: streamingPipelineToDag (pure) and the
 * declarative builder's hook, on the seed YAML verbatim (examples/realtime_clickstream.yaml).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { buildDeclarativeDag, parseDeclarativeText } from '../../core/dag/declarative.ts';
import { durationSeconds, resolvePlaceholders, streamingPipelineToDag } from '../../core/dag/streaming-pipeline.ts';
import { OPERATOR_REGISTRY } from '../../operators/registry.ts';
import { errorOf } from '../support/error-of.ts';

const FILE = path.resolve(import.meta.dirname, '../../examples/realtime_clickstream.yaml');
const seed = () => parseDeclarativeText(fs.readFileSync(FILE, 'utf8'), FILE) as Record<string, unknown>;
const ENV = { KAFKA_CONNECTION: 'kafka_clicks' };
const SEED_SQL = `SELECT JSON_VALUE(value, '$.user_id') AS user_id, JSON_VALUE(value, '$.event_type') AS event_type,
       JSON_VALUE(value, '$.page_url') AS page_url, event_timestamp FROM {{ input }}
`;
/** The seed with one part replaced (a deep copy: the seed document is shared). */
const withPart = (key: string, value: unknown) => ({ ...structuredClone(seed()), [key]: value });

describe('streaming pipelines (the seed format)', () => {
  it('maps the seed YAML to one kafka_extract task with the transform folded in and the flink note', () => {
    expect(streamingPipelineToDag(seed(), ENV)).to.deep.equal({
      dag_id: 'realtime-clickstream', schedule: '@continuous', max_active_runs: 1, max_active_tasks: 4,
      default_args: { owner: 'analytics-team' }, tags: ['streaming', 'version:1.0.0'],
      tasks: [{
        id: 'clickstream_to_analytics_lake', type: 'kafka_extract', kafka_conn_id: 'kafka_clicks',
        topic: 'matih.web.clickstream', consumer_group: 'pipeline-clickstream-v1', format: 'json', start_offset: 'latest',
        sink: { type: 'postgres', table: 'analytics.web_clickstream_events', mode: 'append' },
        transform: { sql: SEED_SQL }, checkpoint_interval: 60,
        engine_note: 'orchestration.engine "flink" runs as Updraft micro-batches (no Flink cluster): same sources, transform and sink',
      }],
    });
  });

  it('loads the seed YAML as a DAG through the declarative builder', () => {
    const saved = process.env.KAFKA_CONNECTION;
    process.env.KAFKA_CONNECTION = 'kafka_clicks';
    try {
      const dag = buildDeclarativeDag(seed(), OPERATOR_REGISTRY);
      expect(dag.dag_id).to.equal('realtime-clickstream');
      expect([...dag.tasks.keys()]).to.deep.equal(['clickstream_to_analytics_lake']);
      expect(dag.tasks.get('clickstream_to_analytics_lake')?.operatorType).to.equal('kafka_extract');
    } finally {
      if (saved === undefined) delete process.env.KAFKA_CONNECTION; else process.env.KAFKA_CONNECTION = saved;
    }
  });

  it('a missing ${VAR} is an error naming it; ${execution_date} is left for templating', () => {
    expect(errorOf(() => streamingPipelineToDag(seed(), {}))).to.match(/\$\{KAFKA_CONNECTION\} not set.*environment variable\(s\) KAFKA_CONNECTION/);
    expect(resolvePlaceholders({ a: ['x ${A}-${B}', { b: '${execution_date}' }], n: 3 }, { A: '1', B: '2' }))
      .to.deep.equal({ a: ['x 1-2', { b: '${execution_date}' }], n: 3 });
    expect(errorOf(() => resolvePlaceholders(['${A}', '${B}', '${A}'], {}))).to.match(/\$\{A\}, \$\{B\} not set/);
  });

  it('an iceberg (or any other) sink is an error naming the supported sinks', () => {
    const iceberg = withPart('sinks', { analytics_lake: { type: 'iceberg', table: 'lake.events' } });
    expect(errorOf(() => streamingPipelineToDag(iceberg, ENV)))
      .to.match(/sink "analytics_lake": type "iceberg" is not supported; supported sinks: postgres, jsonl/);
    expect(errorOf(() => streamingPipelineToDag(withPart('sinks', { s: { type: 's3' } }), ENV))).to.match(/"s3" is not supported; supported sinks: postgres, jsonl$/);
  });

  it('a jsonl sink; no transformation; engine micro_batch has no note; orchestration.schedule overrides @continuous', () => {
    const doc = { ...withPart('sinks', { files: { type: 'jsonl', path: '/tmp/clicks.jsonl' } }), orchestration: { engine: 'micro_batch', schedule: '@hourly' } };
    delete (doc as Record<string, unknown>).transformations;
    const dag = streamingPipelineToDag(doc, ENV);
    expect(dag.schedule).to.equal('@hourly');
    expect(dag).to.not.have.property('max_active_tasks');
    const [task] = dag.tasks as Array<Record<string, unknown>>;
    expect(task).to.include({ id: 'clickstream_to_files' });
    expect(task?.sink).to.deep.equal({ type: 'jsonl', path: '/tmp/clicks.jsonl' });
    expect(task).to.not.have.any.keys('transform', 'engine_note', 'checkpoint_interval');
  });

  it('several sources: each sink names its source or transformation as input', () => {
    const src = { type: 'kafka', topic: 't', consumer_group: 'g' };
    const doc = {
      metadata: { name: 'two' }, sources: { a: src, b: { ...src, topic: 'u' } },
      transformations: [{ name: 'pa', type: 'sql_transform', input: 'a', sql: 'SELECT 1 FROM {{ input }}' }],
      sinks: { sa: { type: 'postgres', table: 'x', input: 'pa' }, sb: { type: 'postgres', table: 'y', input: 'b' } },
    };
    const tasks = streamingPipelineToDag(doc, {}).tasks as Array<Record<string, unknown>>;
    expect(tasks.map((t) => [t.id, t.topic, (t.transform as { sql: string } | undefined)?.sql]))
      .to.deep.equal([['a_to_sa', 't', 'SELECT 1 FROM {{ input }}'], ['b_to_sb', 'u', undefined]]);
    const noInput = { ...doc, sinks: { sa: { type: 'postgres', table: 'x' } } };
    expect(errorOf(() => streamingPipelineToDag(noInput, {}))).to.match(/"input" is required when there are several sources \(a, b\)/);
    const twice = { ...doc, sinks: { s1: { type: 'postgres', table: 'x', input: 'a' }, s2: { type: 'jsonl', path: 'p', input: 'pa' } } };
    expect(errorOf(() => streamingPipelineToDag(twice, {}))).to.match(/source "a" already feeds another sink/);
  });

  it('names what is wrong: source type, unknown keys, transform type and input, engine, parallelism, metadata.name', () => {
    const bad: Array<[unknown, RegExp]> = [
      [withPart('sources', { clickstream: { type: 'kinesis' } }), /source "clickstream" has type "kinesis"; supported sources: kafka/],
      [withPart('sources', { clickstream: { type: 'kafka', topic: 't', partitions: 3 } }), /source "clickstream": unknown key\(s\) "partitions"/],
      [withPart('transformations', [{ name: 'p', type: 'python', input: 'clickstream', sql: 'x' }]), /transformation "p": type "python" is not supported/],
      [withPart('transformations', [{ name: 'p', type: 'sql_transform', input: 'nope', sql: 'x' }]), /input "nope" must name a source \(clickstream\)/],
      [withPart('orchestration', { engine: 'spark' }), /engine "spark" is not supported; use one of flink, micro_batch, updraft/],
      [withPart('orchestration', { parallelism: 0 }), /parallelism must be a positive integer/],
      [withPart('metadata', { owner: 'x' }), /"metadata.name" \(the DAG id\) is required/],
      [withPart('extras', {}), /unknown streaming pipeline key\(s\): "extras"/],
    ];
    for (const [doc, re] of bad) expect(errorOf(() => streamingPipelineToDag(doc, ENV)), re.source).to.match(re);
  });

  it('durations: "60s", "5m", "1h", "500ms" and plain seconds', () => {
    expect(['60s', '5m', '1h', '500ms', 30, '45'].map((d) => durationSeconds(d, 'x'))).to.deep.equal([60, 300, 3600, 0.5, 30, 45]);
    expect(errorOf(() => durationSeconds('soon', 'orchestration.checkpoint_interval'))).to.match(/checkpoint_interval must be a duration/);
  });
});
