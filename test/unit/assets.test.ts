/** Assets: the Asset class, URI rules, asset schedules and outlets. Pure, no I/O. */
import { expect } from 'chai';
import { Asset, DAG, EmptyOperator } from '../../index.ts';
import { buildDeclarativeDag } from '../../core/dag/declarative.ts';
import { serializeDag } from '../../core/dag/serialize.ts';
import { compileSchedule, describeSchedule, manualRunInfo, nextRunInfo } from '../../core/schedule/index.ts';
import { OPERATOR_REGISTRY } from '../../operators/registry.ts';
import { errorOf } from '../support/error-of.ts';

describe('Asset', () => {
  it('keeps the URI, defaults the name to it, and serializes as the URI', () => {
    const a = new Asset('s3://bucket/key.csv');
    expect(a.uri).to.equal('s3://bucket/key.csv');
    expect(a.name).to.equal('s3://bucket/key.csv');
    expect(new Asset('x://y', { name: 'nice' }).name).to.equal('nice');
    expect(JSON.stringify({ a })).to.equal('{"a":"s3://bucket/key.csv"}');
    expect(String(a)).to.equal('s3://bucket/key.csv');
  });

  const bad: Array<[string, RegExp]> = [
    ['', /^Asset: invalid asset URI "": it is empty$/],
    ['s3://my bucket/x', /^Asset: invalid asset URI "s3:\/\/my bucket\/x": it contains whitespace \(character 8\); Airflow asset URIs have no spaces$/],
    [' s3://x', /whitespace \(character 1\)/],
    ['s3://tab\there', /whitespace/],
    ['s3://caf\u00e9', /non-ASCII character \(character 9\)/],
    ['airflow://dag/x', /the "airflow" scheme is reserved/],
    ['postgres://user:secret@db/t', /must not contain credentials/],
    [`s3://${'x'.repeat(1500)}`, /longer than 1500 characters/],
  ];
  for (const [uri, message] of bad) {
    it(`rejects ${JSON.stringify(uri.slice(0, 40))}, saying what is wrong`, () => {
      expect(errorOf(() => new Asset(uri))).to.match(message);
    });
  }

  it('rejects a URI that is not a string and an empty name', () => {
    expect(errorOf(() => new Asset(42 as unknown as string))).to.match(/^Asset: the URI must be a string, got 42$/);
    expect(errorOf(() => new Asset('s3://x', { name: ' ' }))).to.match(/name must be a non-empty string/);
  });

  it('accepts URIs without a scheme and with query strings', () => {
    expect(new Asset('my_table').uri).to.equal('my_table');
    expect(new Asset('postgres://db/analytics.t?x=1').uri).to.equal('postgres://db/analytics.t?x=1');
  });
});

describe('asset schedules', () => {
  it('compiles a list of Assets and URIs, dropping duplicates, in order', () => {
    const spec = compileSchedule([new Asset('s3://x'), 'postgres://db/analytics.t', 's3://x'], 'UTC');
    expect(spec).to.deep.equal({ kind: 'assets', uris: ['s3://x', 'postgres://db/analytics.t'] });
    expect(describeSchedule(spec)).to.equal('Asset(s3://x, postgres://db/analytics.t)');
  });

  it('accepts a single Asset as the schedule', () => {
    expect(compileSchedule(new Asset('s3://x'), 'UTC')).to.deep.equal({ kind: 'assets', uris: ['s3://x'] });
  });

  it('rejects an empty list and bad entries, naming the entry', () => {
    expect(errorOf(() => compileSchedule([], 'UTC'))).to.match(/^invalid schedule \[\]: an asset schedule needs at least one asset/);
    expect(errorOf(() => compileSchedule(['s3://ok', 'has space'], 'UTC')))
      .to.match(/^invalid schedule: entry 1: invalid asset URI "has space": it contains whitespace/);
    expect(errorOf(() => compileSchedule(['s3://ok', 7], 'UTC'))).to.match(/entry 1: expected an asset URI string or an Asset, got 7/);
  });

  it('has no time-based runs: no next run, and a manual run covers just its logical date', () => {
    const spec = compileSchedule(['s3://x'], 'UTC');
    const now = new Date('2026-05-01T12:00:00Z');
    expect(nextRunInfo(spec, { start_date: new Date('2026-01-01'), end_date: null, catchup: true, last_automated: null, now })).to.equal(null);
    expect(manualRunInfo(spec, now).data_interval).to.deep.equal({ start: now, end: now });
  });

  it('serializes a DAG scheduled on assets, with outlets as URIs', () => {
    const dag = new DAG({ dag_id: 'consumer', schedule: [new Asset('s3://a'), 's3://b'], start_date: '2026-01-01' });
    new EmptyOperator({ task_id: 't', dag, outlets: [new Asset('s3://out'), 'file:///tmp/x', { uri: 's3://out' }] });
    const spec = serializeDag(dag, 'consumer.ts');
    expect(spec.schedule).to.deep.equal({ kind: 'assets', uris: ['s3://a', 's3://b'] });
    expect(spec.tasks[0]?.outlets).to.deep.equal(['s3://out', 'file:///tmp/x']);
  });

  it('checks outlet URIs with the same rules, naming the task and the outlet', () => {
    const dag = new DAG({ dag_id: 'p' });
    expect(errorOf(() => new EmptyOperator({ task_id: 't', dag, outlets: ['ok://x', 'bad uri'] })))
      .to.match(/outlets\[1\]: invalid asset URI "bad uri": it contains whitespace/);
  });

  it('declarative DAGs take a list of URIs as an asset schedule', () => {
    const dag = buildDeclarativeDag({
      dag_id: 'decl_consumer', schedule: ['s3://a', 'postgres://db/analytics.t'],
      tasks: [{ id: 'a', type: 'empty', outlets: ['s3://c'] }],
    }, OPERATOR_REGISTRY);
    const spec = serializeDag(dag, 'decl.yaml');
    expect(spec.schedule).to.deep.equal({ kind: 'assets', uris: ['s3://a', 'postgres://db/analytics.t'] });
    expect(spec.tasks[0]?.outlets).to.deep.equal(['s3://c']);
    const bad = buildDeclarativeDag({ dag_id: 'd2', schedule: ['s3://a', ''], tasks: [{ id: 'a', type: 'empty' }] }, OPERATOR_REGISTRY);
    expect(errorOf(() => serializeDag(bad, 'd2.yaml'))).to.match(/entry 1: invalid asset URI "": it is empty/);
  });
});
