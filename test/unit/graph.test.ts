/** Task graph checks, weight rules, serialization and version hash. Pure, no I/O. */
import { expect } from 'chai';
import { BashOperator, chain, DAG, EmptyOperator, type DagArgs } from '../../index.ts';
import { buildTaskGraph, effectiveWeights, topologicalOrder, type GraphTask } from '../../core/dag/graph.ts';
import { hashDagSpec, serializeDag } from '../../core/dag/serialize.ts';
import type { WeightRule } from '../../core/model/states.ts';
import { errorOf } from '../support/error-of.ts';


const g = (task_id: string, upstream: string[] = [], priority_weight = 1, weight_rule: WeightRule = 'downstream'): GraphTask =>
  ({ task_id, upstream, priority_weight, weight_rule });

/** The cycle path from a "has a cycle: a -> b -> a" message. */
function cyclePath(msg: string): string[] {
  const m = /has a cycle: (.+)$/.exec(msg);
  expect(m, msg).to.not.equal(null);
  return m![1]!.split(' -> ');
}

describe('graph: cycles and unknown tasks', () => {
  it('names the cycle as a path of real edges returning to its start, without unrelated tasks', () => {
    const tasks = [g('x'), g('a', ['x', 'c']), g('b', ['a']), g('c', ['b']), g('y', ['c'])];
    const msg = errorOf(() => buildTaskGraph('loop', tasks));
    expect(msg).to.match(/^DAG "loop" has a cycle: /);
    const p = cyclePath(msg);
    expect(p).to.have.length(4);
    expect(p[0]).to.equal(p[p.length - 1]);
    expect([...new Set(p)].sort()).to.deep.equal(['a', 'b', 'c']);
    const edgeSet = new Set(tasks.flatMap((t) => t.upstream.map((u) => `${u}>${t.task_id}`)));
    for (let i = 1; i < p.length; i++) expect(edgeSet.has(`${p[i - 1]}>${p[i]}`), `${p[i - 1]} -> ${p[i]}`).to.equal(true);
  });

  it('detects a self-loop', () => {
    expect(errorOf(() => buildTaskGraph('self', [g('ok'), g('a', ['ok', 'a'])]))).to.equal('DAG "self" has a cycle: a -> a');
  });

  it('detects a two-task cycle', () => {
    const p = cyclePath(errorOf(() => buildTaskGraph('two', [g('a', ['b']), g('b', ['a'])])));
    expect(p).to.satisfy((x: string[]) => x.join() === 'a,b,a' || x.join() === 'b,a,b');
  });

  it('rejects an unknown upstream task', () => {
    expect(errorOf(() => buildTaskGraph('d', [g('a'), g('b', ['a', 'ghost'])])))
      .to.equal('DAG "d": task "b" depends on unknown task "ghost"');
  });

  it('builds the graph of a valid DAG with one edge per dependency', () => {
    const graph = buildTaskGraph('d', [g('a'), g('b', ['a', 'a']), g('c', ['a', 'b'])]);
    expect(graph.order).to.equal(3);
    expect(graph.size).to.equal(3);
    expect(graph.hasDirectedEdge('a', 'b')).to.equal(true);
    expect(graph.hasDirectedEdge('b', 'a')).to.equal(false);
  });

  it('a DAG object with a cycle fails to serialize, naming it', () => {
    const dag = new DAG({ dag_id: 'cyclic' });
    const [a, b] = [new EmptyOperator({ task_id: 'a', dag }), new EmptyOperator({ task_id: 'b', dag })];
    a.rshift(b).rshift(a);
    const p = cyclePath(errorOf(() => serializeDag(dag, '/f.ts')));
    expect([...new Set(p)].sort()).to.deep.equal(['a', 'b']);
  });
});

describe('graph: topological order', () => {
  it('puts every task after all its upstream tasks, whatever the declaration order', () => {
    // declared leaves-first on purpose
    const tasks = [
      g('report', ['load', 'audit']), g('audit', ['extract_b']), g('load', ['transform']),
      g('transform', ['extract_a', 'extract_b']), g('extract_b', ['start']), g('extract_a', ['start']), g('start'), g('lonely'),
    ];
    const order = topologicalOrder(buildTaskGraph('d', tasks));
    expect([...order].sort()).to.deep.equal(tasks.map((t) => t.task_id).sort());
    for (const t of tasks) {
      for (const up of t.upstream) expect(order.indexOf(up), `${up} before ${t.task_id}`).to.be.lessThan(order.indexOf(t.task_id));
    }
  });

  it('serialized tasks come in topological order with sorted upstream and downstream lists', () => {
    const dag = new DAG({ dag_id: 'd' });
    const [d, c, b, a] = ['d', 'c', 'b', 'a'].map((id) => new EmptyOperator({ task_id: id, dag }));
    chain(a!, [c!, b!], d!);
    const spec = serializeDag(dag, '/f.ts');
    const ids = spec.tasks.map((t) => t.task_id);
    expect(ids[0]).to.equal('a');
    expect(ids[3]).to.equal('d');
    const byId = Object.fromEntries(spec.tasks.map((t) => [t.task_id, t]));
    expect(byId.a!.downstream).to.deep.equal(['b', 'c']);
    expect(byId.d!.upstream).to.deep.equal(['b', 'c']);
    expect(byId.b!.upstream).to.deep.equal(['a']);
  });
});

describe('graph: weight rules', () => {
  // Diamond a -> (b, c) -> d, with own weights 1, 2, 3, 4.
  const diamond = (rule: WeightRule) => [g('a', [], 1, rule), g('b', ['a'], 2, rule), g('c', ['a'], 3, rule), g('d', ['b', 'c'], 4, rule)];
  const weights = (tasks: GraphTask[]) => Object.fromEntries(effectiveWeights(buildTaskGraph('d', tasks), tasks));

  it('downstream: own weight plus every task downstream, each counted once', () => {
    expect(weights(diamond('downstream'))).to.deep.equal({ a: 10, b: 6, c: 7, d: 4 });
  });

  it('upstream: own weight plus every task upstream, each counted once', () => {
    expect(weights(diamond('upstream'))).to.deep.equal({ a: 1, b: 3, c: 4, d: 10 });
  });

  it('absolute: own weight only', () => {
    expect(weights(diamond('absolute'))).to.deep.equal({ a: 1, b: 2, c: 3, d: 4 });
  });

  it('each task follows its own rule', () => {
    const tasks = [g('a', [], 1, 'absolute'), g('b', ['a'], 2, 'upstream'), g('c', ['a'], 3, 'downstream'), g('d', ['b', 'c'], 4, 'upstream')];
    expect(weights(tasks)).to.deep.equal({ a: 1, b: 3, c: 7, d: 10 });
  });

  it('serializeDag stores the effective weight and the rule', () => {
    const dag = new DAG({ dag_id: 'w' });
    const a = new EmptyOperator({ task_id: 'a', dag, priority_weight: 1 });
    const b = new EmptyOperator({ task_id: 'b', dag, priority_weight: 2 });
    const c = new EmptyOperator({ task_id: 'c', dag, priority_weight: 3, weight_rule: 'absolute' });
    const d = new EmptyOperator({ task_id: 'd', dag, priority_weight: 4, weight_rule: 'upstream' });
    chain(a, [b, c], d);
    const spec = serializeDag(dag, '/f.ts');
    expect(Object.fromEntries(spec.tasks.map((t) => [t.task_id, [t.priority_weight, t.weight_rule]]))).to.deep.equal({
      a: [10, 'downstream'], b: [6, 'downstream'], c: [3, 'absolute'], d: [10, 'upstream'],
    });
  });
});

describe('serialize: DAG spec', () => {
  const make = (args: Partial<DagArgs> = {}, bashCommand = 'echo {{ ds }}', retries = 1) => {
    const dag = new DAG({ dag_id: 'spec_dag', schedule: '@daily', start_date: '2026-01-01', ...args });
    const start = new EmptyOperator({ task_id: 'start', dag });
    const run = new BashOperator({ task_id: 'run', dag, bash_command: bashCommand, retries, retry_delay: 'PT30S' });
    start.rshift(run);
    return dag;
  };

  it('compiles the schedule and dates and fills documented defaults', () => {
    const spec = serializeDag(make({ description: 'desc', tags: ['t'], params: { p: 1 }, owner: 'me' }), '/dags/spec.ts');
    expect(spec).to.deep.include({
      dag_id: 'spec_dag', fileloc: '/dags/spec.ts', description: 'desc', tags: ['t'], owners: 'me',
      schedule: { kind: 'cron', expression: '0 0 * * *', timezone: 'UTC' }, timezone: 'UTC',
      start_date: '2026-01-01T00:00:00.000Z', end_date: null, catchup: false, params: { p: 1 },
      max_active_runs: 16, max_active_tasks: 16, dagrun_timeout_ms: null, has_dag_callbacks: false,
    });
    const run = spec.tasks.find((t) => t.task_id === 'run')!;
    expect(run).to.deep.include({
      operator: 'bash', args: { bash_command: 'echo {{ ds }}' }, upstream: ['start'], downstream: [],
      retries: 1, retry_delay_ms: 30_000, trigger_rule: 'all_success', pool: 'default_pool', needs_dag_file: false,
    });
    expect(run.template_fields).to.include('bash_command');
  });

  it('compiles other schedule forms', () => {
    expect(serializeDag(make({ schedule: null }), 'f').schedule).to.deep.equal({ kind: 'none' });
    expect(serializeDag(make({ schedule: '@once' }), 'f').schedule).to.deep.equal({ kind: 'once' });
    expect(serializeDag(make({ schedule: '@hourly' }), 'f').schedule).to.deep.equal({ kind: 'cron', expression: '0 * * * *', timezone: 'UTC' });
    expect(serializeDag(make({ schedule: { hours: 2 } }), 'f').schedule).to.deep.equal({ kind: 'interval', interval_ms: 7_200_000, timezone: 'UTC' });
    expect(errorOf(() => serializeDag(make({ schedule: '61 * * * *' }), 'f'))).to.match(/invalid schedule "61 \* \* \* \*"/);
  });

  it('reads a date-only start_date as midnight in the DAG time zone', () => {
    const spec = serializeDag(make({ timezone: 'Europe/Amsterdam', end_date: '2026-06-30T12:00:00Z' }), 'f');
    expect(spec.timezone).to.equal('Europe/Amsterdam');
    expect(spec.schedule).to.deep.equal({ kind: 'cron', expression: '0 0 * * *', timezone: 'Europe/Amsterdam' });
    expect(spec.start_date).to.equal('2025-12-31T23:00:00.000Z');
    expect(spec.end_date).to.equal('2026-06-30T12:00:00.000Z');
    expect(serializeDag(make({ start_date: new Date('2026-03-04T05:06:07Z') }), 'f').start_date).to.equal('2026-03-04T05:06:07.000Z');
  });

  it('rejects an unknown time zone', () => {
    expect(errorOf(() => serializeDag(make({ timezone: 'Mars/Olympus_Mons' }), 'f'))).to.equal('DAG "spec_dag": unknown timezone "Mars/Olympus_Mons"');
  });

  it('rejects an end_date before the start_date, and dates that are not ISO-8601', () => {
    expect(errorOf(() => serializeDag(make({ start_date: '2026-02-01', end_date: '2026-01-31' }), 'f')))
      .to.equal('DAG "spec_dag": end_date is before start_date');
    expect(errorOf(() => serializeDag(make({ start_date: 'last tuesday' }), 'f')))
      .to.equal('DAG "spec_dag": start_date: "last tuesday" is not an ISO-8601 date');
  });

  it('is plain JSON (round-trips unchanged)', () => {
    const spec = serializeDag(make(), 'f');
    expect(JSON.parse(JSON.stringify(spec))).to.deep.equal(spec);
  });
});

describe('serialize: version hash', () => {
  const make = (opts: { retries?: number; cmd?: string; params?: Record<string, unknown>; env?: Record<string, string> } = {}) => {
    const dag = new DAG({ dag_id: 'h', schedule: '@daily', start_date: '2026-01-01', params: opts.params ?? { a: 1, b: 2 } });
    const start = new EmptyOperator({ task_id: 'start', dag });
    const run = new BashOperator({
      task_id: 'run', dag, bash_command: opts.cmd ?? 'echo hi', retries: opts.retries ?? 1, env: opts.env ?? { X: '1', Y: '2' },
    });
    start.rshift(run);
    return serializeDag(dag, '/dags/h.ts');
  };

  it('is stable for equal DAGs', () => {
    const h1 = hashDagSpec(make());
    expect(h1).to.match(/^[0-9a-f]{64}$/);
    expect(hashDagSpec(make())).to.equal(h1);
  });

  it('changes when a task argument, a common argument or a dependency changes', () => {
    const base = hashDagSpec(make());
    expect(hashDagSpec(make({ retries: 2 }))).to.not.equal(base);
    expect(hashDagSpec(make({ cmd: 'echo bye' }))).to.not.equal(base);
    expect(hashDagSpec(make({ params: { a: 1, b: 3 } }))).to.not.equal(base);
    const spec = make();
    spec.tasks[1]!.upstream = [];
    expect(hashDagSpec(spec)).to.not.equal(base);
  });

  it('does not depend on the order of keys in params or operator arguments (Airflow hashes with sort_keys)', () => {
    expect(hashDagSpec(make({ params: { b: 2, a: 1 }, env: { Y: '2', X: '1' } }))).to.equal(hashDagSpec(make()));
  });
});
