/**
 * Declarative DAGs (JSON / YAML): buildDeclarativeDag with the operator registry, and
 * parseDeclarativeText. Pure apart from reading the seed pipeline from dags/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { DAG } from '../../core/authoring/dag.ts';
import { buildDeclarativeDag, parseDeclarativeText } from '../../core/dag/declarative.ts';
import { serializeDag } from '../../core/dag/serialize.ts';
import { OPERATOR_REGISTRY } from '../../operators/registry.ts';
import { errorOf } from '../support/error-of.ts';

const SEED = fs.readFileSync(path.resolve(import.meta.dirname, '../../dags/daily_revenue_pipeline.json'), 'utf8');
const KNOWN = [...OPERATOR_REGISTRY.keys()].sort().join(', ');


const build = (doc: unknown) => buildDeclarativeDag(doc, OPERATOR_REGISTRY);
const edges = (dag: DAG) => [...dag.tasks.values()]
  .flatMap((t) => [...t.downstreamIds].map((d) => `${t.task_id}>${d}`)).sort();

describe('declarative DAGs: building', () => {
  it('takes the DAG id from "name"', () => {
    const dag = build({ name: 'by_name', tasks: [{ id: 'a', type: 'empty' }] });
    expect(dag.dag_id).to.equal('by_name');
    expect(dag.args).to.not.have.property('name');
  });

  it('takes the DAG id from "dag_id"', () => {
    const dag = build({ dag_id: 'by_dag_id', schedule: '@daily', tasks: [{ id: 'a', type: 'empty' }] });
    expect(dag.dag_id).to.equal('by_dag_id');
    expect(dag.args.schedule).to.equal('@daily');
  });

  it('takes task ids from "id" or "task_id"', () => {
    const dag = build({ name: 'd', tasks: [{ id: 'a', type: 'empty' }, { task_id: 'b', type: 'empty' }] });
    expect([...dag.tasks.keys()]).to.deep.equal(['a', 'b']);
  });

  it('builds operators of the registry with their own arguments', () => {
    const dag = build({ name: 'd', tasks: [{ id: 'b', type: 'bash', bash_command: 'echo hi', retries: 2, retry_delay: 'PT2S' }] });
    const b = dag.getTask('b');
    expect(b.operatorType).to.equal('bash');
    expect(b.args).to.deep.equal({ bash_command: 'echo hi' });
    expect(b.common).to.deep.include({ retries: 2, retry_delay_ms: 2_000 });
  });

  it('accepts depends_on as a string or a list, referring to tasks defined later too', () => {
    const dag = build({
      name: 'd', tasks: [
        { id: 'join', type: 'empty', depends_on: ['left', 'right'] },
        { id: 'left', type: 'empty', depends_on: 'start' },
        { id: 'right', type: 'empty', depends_on: ['start'] },
        { id: 'start', type: 'empty' },
      ],
    });
    expect(edges(dag)).to.deep.equal(['left>join', 'right>join', 'start>left', 'start>right']);
  });

  it('applies default_args and DAG arguments, as a DAG file would', () => {
    const dag = build({
      dag_id: 'd', schedule: '0 6 * * *', start_date: '2026-01-01', catchup: true, tags: ['x'],
      default_args: { retries: 3, pool: 'p' },
      tasks: [{ id: 'a', type: 'empty' }, { id: 'b', type: 'empty', retries: 0 }],
    });
    expect(dag.getTask('a').common).to.deep.include({ retries: 3, pool: 'p' });
    expect(dag.getTask('b').common).to.deep.include({ retries: 0, pool: 'p' });
    const spec = serializeDag(dag, '/d.yaml');
    expect(spec.schedule).to.deep.equal({ kind: 'cron', expression: '0 6 * * *', timezone: 'UTC' });
    expect(spec.catchup).to.equal(true);
    expect(spec.tags).to.deep.equal(['x']);
  });
});

describe('declarative DAGs: errors', () => {
  it('rejects unknown DAG keys, naming all of them', () => {
    expect(errorOf(() => build({ name: 'd', scheduel: '@daily', owner_email: 'x', tasks: [{ id: 'a', type: 'empty' }] })))
      .to.equal('unknown DAG key(s): "scheduel", "owner_email"');
  });

  it('rejects a document that is not an object', () => {
    for (const doc of [null, [], 'text', 3]) expect(errorOf(() => build(doc))).to.equal('a declarative DAG must be an object');
  });

  it('requires a DAG id and a non-empty task list', () => {
    expect(errorOf(() => build({ tasks: [{ id: 'a', type: 'empty' }] }))).to.equal('missing "dag_id" (or "name")');
    expect(errorOf(() => build({ name: 'd', tasks: [] }))).to.equal('DAG "d": "tasks" must be a non-empty list');
    expect(errorOf(() => build({ name: 'd' }))).to.equal('DAG "d": "tasks" must be a non-empty list');
  });

  it('rejects unknown operator types, listing every unknown type with its task and the known types', () => {
    const msg = errorOf(() => build({
      name: 'd', tasks: [
        { id: 'a', type: 'empty' },
        { id: 'b', type: 'frobnicate', depends_on: 'a' },
        { id: 'c', type: 'teleport' },
      ],
    }));
    expect(msg).to.equal(`DAG "d": unknown operator type(s) "frobnicate" (task "b"), "teleport" (task "c"); known types: ${KNOWN}`);
    expect(KNOWN.split(', ')).to.include.members(['bash', 'empty']);
  });

  it('rejects a dependency on an unknown task', () => {
    expect(errorOf(() => build({ name: 'd', tasks: [{ id: 'a', type: 'empty', depends_on: ['ghost'] }] })))
      .to.equal('DAG "d": task "a" depends on unknown task "ghost"');
  });

  it('rejects depends_on that is not a string or a list of strings', () => {
    expect(errorOf(() => build({ name: 'd', tasks: [{ id: 'a', type: 'empty', depends_on: 5 }] })))
      .to.equal('DAG "d": tasks[0] ("a"): "depends_on" must be a list of task ids');
    expect(errorOf(() => build({ name: 'd', tasks: [{ id: 'a', type: 'empty' }, { id: 'b', type: 'empty', depends_on: ['a', 1] }] })))
      .to.equal('DAG "d": tasks[1] ("b"): "depends_on" must be a list of task ids');
  });

  it('requires a type and an id on every task, naming its position', () => {
    expect(errorOf(() => build({ name: 'd', tasks: [{ id: 'a', type: 'empty' }, { id: 'b' }] })))
      .to.equal('DAG "d": tasks[1] ("b"): missing "type"');
    expect(errorOf(() => build({ name: 'd', tasks: [{ type: 'empty' }] })))
      .to.equal('DAG "d": tasks[0]: missing "id" (or "task_id")');
    expect(errorOf(() => build({ name: 'd', tasks: ['a'] }))).to.equal('DAG "d": tasks[0] must be an object');
  });

  it('rejects an argument the operator does not take instead of ignoring it', () => {
    const msg = errorOf(() => build({ name: 'd', tasks: [{ id: 'a', type: 'bash', bash_command: 'true', retires: 3 }] }));
    expect(msg).to.match(/^task "a" of DAG "d": /);
    expect(msg).to.include('"retires"');
  });

  it('rejects duplicate task ids', () => {
    expect(errorOf(() => build({ name: 'd', tasks: [{ id: 'a', type: 'empty' }, { task_id: 'a', type: 'empty' }] })))
      .to.equal('DAG "d": duplicate task_id "a"');
  });

  it('passes invalid common arguments on to the task validation', () => {
    expect(errorOf(() => build({ name: 'd', tasks: [{ id: 'a', type: 'empty', trigger_rule: 'sometimes' }] })))
      .to.match(/^task "a" of DAG "d": trigger_rule: /);
  });

  it('the seed pipeline builds: sql, sql, quality, notification in a chain', () => {
    const dag = build(parseDeclarativeText(SEED, 'daily_revenue_pipeline.json'));
    expect([...dag.tasks.values()].map((t) => `${t.task_id}:${t.operatorType}`)).to.deep.equal([
      'extract_orders:sql', 'transform_revenue:sql', 'quality_check:quality', 'notify:notification']);
    expect(edges(dag)).to.deep.equal(['extract_orders>transform_revenue', 'quality_check>notify', 'transform_revenue>quality_check']);
    expect(KNOWN).to.include('sql');
  });
});

describe('declarative DAGs: parsing text', () => {
  it('parses JSON for .json files and YAML otherwise', () => {
    expect(parseDeclarativeText('{"name": "d", "tasks": []}', 'x.json')).to.deep.equal({ name: 'd', tasks: [] });
    const yaml = 'dag_id: y\ntasks:\n  - id: a\n    type: empty\n  - id: b\n    type: empty\n    depends_on: a\n';
    const doc = parseDeclarativeText(yaml, 'x.yaml');
    expect(doc).to.deep.equal({ dag_id: 'y', tasks: [{ id: 'a', type: 'empty' }, { id: 'b', type: 'empty', depends_on: 'a' }] });
    expect(parseDeclarativeText(yaml, 'x.yml')).to.deep.equal(doc);
    expect(edges(build(doc))).to.deep.equal(['a>b']);
  });

  it('reports JSON syntax errors as such', () => {
    expect(errorOf(() => parseDeclarativeText('{"name": "d",', 'broken.json'))).to.match(/^JSON syntax error: .+/);
    // YAML-only syntax is not valid in a .json file
    expect(errorOf(() => parseDeclarativeText('name: d', 'yaml-in.json'))).to.match(/^JSON syntax error: /);
  });

  it('reports YAML syntax errors with the line', () => {
    const msg = errorOf(() => parseDeclarativeText('dag_id: d\ntasks: [\n  {id: a, type: empty\n', 'broken.yaml'));
    expect(msg).to.match(/^YAML syntax error: /);
    expect(msg).to.match(/line \d+/);
    expect(errorOf(() => parseDeclarativeText('a: 1\na: 2\n', 'dup.yaml'))).to.match(/^YAML syntax error: .*unique/);
  });
});
