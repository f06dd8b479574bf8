/**
 * Dynamic task mapping without a database: authoring (`partial`/`expand`), the values
 * of each map index, and how the scheduler's decisions treat mapped tasks and
 * wait_for_downstream.
 */
import { expect } from 'chai';
import { BashOperator, DAG, task } from '../../index.ts';
import { serializeDag } from '../../core/dag/serialize.ts';
import type { DagSpec } from '../../core/dag/spec.ts';
import { decidePending, type TiState } from '../../core/transitions/decide.ts';
import { mapLength, unmappableReason, valuesAt } from '../../core/transitions/map-values.ts';
import type { TaskStateOrNone } from '../../core/model/states.ts';
import { buildDeclarativeDag } from '../../core/dag/declarative.ts';
import { OPERATOR_REGISTRY } from '../../operators/registry.ts';

const newDag = (id = 'm') => new DAG({ dag_id: id, schedule: null, start_date: '2026-01-01' });

describe('mapping: authoring', () => {
  it('partial() shares arguments; expand() over a literal list and over an upstream .output (which becomes an upstream)', () => {
    const dag = newDag();
    const src = task({ task_id: 'src', dag }, () => ['a']);
    BashOperator.partial({ task_id: 'lit', dag, retries: 2 }).expand({ bash_command: ['echo 1', 'echo 2'] });
    task({ task_id: 'fn', dag }, () => 1).expand({ v: src.output });
    const spec = serializeDag(dag, '/x.ts');
    const lit = spec.tasks.find((t) => t.task_id === 'lit')!;
    expect(lit.mapped).to.deep.equal({ args: [{ name: 'bash_command', source: { literal: ['echo 1', 'echo 2'] } }] });
    expect(lit.retries).to.equal(2);
    const fn = spec.tasks.find((t) => t.task_id === 'fn')!;
    expect(fn.mapped).to.deep.equal({ args: [{ name: 'v', source: { xcom: { task_id: 'src', key: 'return_value' } } }] });
    expect(fn.upstream).to.deep.equal(['src']);
    expect(spec.tasks.find((t) => t.task_id === 'src')!.mapped).to.equal(null);
  });

  it('arguments given to partial() are still validated; only the mapped ones wait for run time', () => {
    const dag = newDag();
    expect(() => BashOperator.partial({ task_id: 'a', dag, cwd: 5 } as never).expand({ bash_command: ['x'] })).to.throw(/cwd/);
    expect(() => BashOperator.partial({ task_id: 'b', dag }).expand({ env: [{}] })).to.throw(/bash_command/);
  });

  it('bad expand() arguments are clear errors', () => {
    const dag = newDag();
    expect(() => BashOperator.partial({ task_id: 'a', dag }).expand({ bash_command: 'echo' })).to.throw(/"bash_command" must be a list or an upstream task's .output/);
    expect(() => BashOperator.partial({ task_id: 'b', dag }).expand({ retries: [1, 2] })).to.throw(/"retries" cannot be mapped/);
    expect(() => BashOperator.partial({ task_id: 'c', dag }).expand({})).to.throw(/expand\(\) needs/);
    expect(() => BashOperator.partial({ task_id: 'd', dag }).expand({ bash_command: Array.from({ length: 1025 }, () => 'x') })).to.throw(/1025 values; at most 1024/);
    const t = task({ task_id: 'e', dag }, () => 1).expand({ x: [1] });
    expect(() => t.expand({ x: [2] })).to.throw(/already called/);
  });
});

describe('mapping: declarative DAGs', () => {
  const build = (tasks: unknown[]) => serializeDag(buildDeclarativeDag({ dag_id: 'd', tasks }, OPERATOR_REGISTRY), '/d.yaml');
  it('expand: takes lists and {xcom: task_id}; the XCom source becomes an upstream, declared in any order', () => {
    const spec = build([
      { id: 'each', type: 'bash', expand: { bash_command: { xcom: 'list' } } },
      { id: 'lit', type: 'bash', env: { A: '1' }, expand: { bash_command: ['echo a', 'echo b'] } },
      { id: 'list', type: 'bash', bash_command: 'echo hi' },
    ]);
    const each = spec.tasks.find((t) => t.task_id === 'each')!;
    expect(each.mapped).to.deep.equal({ args: [{ name: 'bash_command', source: { xcom: { task_id: 'list', key: 'return_value' } } }] });
    expect(each.upstream).to.deep.equal(['list']);
    expect(spec.tasks.find((t) => t.task_id === 'lit')!.mapped!.args[0]!.source).to.deep.equal({ literal: ['echo a', 'echo b'] });
  });
  it('bad expand: entries name the task and the argument', () => {
    expect(() => build([{ id: 'x', type: 'bash', expand: ['a'] }])).to.throw(/tasks\[0\] \("x"\): "expand" must map argument names/);
    expect(() => build([{ id: 'x', type: 'bash', expand: { bash_command: 'echo' } }])).to.throw(/task "x": expand.bash_command must be a list or \{xcom: task_id\}/);
    expect(() => build([{ id: 'x', type: 'bash', expand: { bash_command: { xcom: 'nope' } } }])).to.throw(/expand.bash_command refers to unknown task "nope"/);
    expect(() => build([{ id: 'x', type: 'bash', expand: { retries: [1] } }])).to.throw(/"retries" cannot be mapped/);
  });
});

describe('mapping: values per map index', () => {
  const lists = [{ name: 'x', values: [1, 2] }, { name: 'y', values: ['a', 'b', 'c'] }];
  it('a cross product with the last argument varying fastest', () => {
    expect(mapLength(lists)).to.equal(6);
    expect(Array.from({ length: 6 }, (_, i) => valuesAt(lists, i))).to.deep.equal([
      { x: 1, y: 'a' }, { x: 1, y: 'b' }, { x: 1, y: 'c' }, { x: 2, y: 'a' }, { x: 2, y: 'b' }, { x: 2, y: 'c' },
    ]);
    expect(mapLength([{ name: 'x', values: [] }, lists[1]!])).to.equal(0);
  });
  it('names why a value cannot be expanded', () => {
    expect(unmappableReason([1])).to.equal(null);
    expect(unmappableReason(undefined)).to.equal('no value was pushed');
    expect(unmappableReason({})).to.equal('expected a list, got object');
    expect(unmappableReason(Array(2000).fill(0))).to.match(/2000 values; at most 1024/);
  });
});

describe('mapping and wait_for_downstream: decisions', () => {
  const NOW = new Date('2026-11-21T06:00:00Z');
  let next = 1;
  const ti = (task_id: string, state: TaskStateOrNone, map_index = -1): TiState =>
    ({ id: next++, task_id, map_index, state, next_retry_at: null, reschedule_at: null });
  const byTask = (tis: TiState[]) => {
    const m = new Map<string, TiState[]>();
    for (const t of tis) m.set(t.task_id, [...(m.get(t.task_id) ?? []), t]);
    return m;
  };
  function mappedSpec(): DagSpec {
    const dag = newDag();
    const src = task({ task_id: 'src', dag }, () => [1]);
    const each = task({ task_id: 'each', dag }, () => 1).expand({ v: src.output });
    each.rshift(task({ task_id: 'after', dag }, () => 1));
    return serializeDag(dag, '/x.ts');
  }

  it('a ready placeholder is marked for expansion, once, instead of being scheduled', () => {
    const d = decidePending({ spec: mappedSpec(), tis: byTask([ti('src', 'success'), ti('each', null), ti('after', null)]), previous: new Map(), now: NOW });
    expect(d.map((x) => [x.task_id, x.to, x.expand ?? false])).to.deep.equal([['each', 'scheduled', true]]);
  });

  it('a downstream task counts every instance of a mapped upstream', () => {
    const spec = mappedSpec();
    const running = decidePending({ spec, tis: byTask([ti('src', 'success'), ti('each', 'success', 0), ti('each', 'running', 1), ti('after', null)]), previous: new Map(), now: NOW });
    expect(running).to.deep.equal([]);
    const oneFailed = decidePending({ spec, tis: byTask([ti('src', 'success'), ti('each', 'success', 0), ti('each', 'failed', 1), ti('after', null)]), previous: new Map(), now: NOW });
    expect(oneFailed.map((x) => [x.task_id, x.to])).to.deep.equal([['after', 'upstream_failed']]);
    const allDone = decidePending({ spec, tis: byTask([ti('src', 'success'), ti('each', 'success', 0), ti('each', 'success', 1), ti('after', null)]), previous: new Map(), now: NOW });
    expect(allDone.map((x) => [x.task_id, x.to])).to.deep.equal([['after', 'scheduled']]);
  });

  it('instances cleared one by one are scheduled individually, not expanded again', () => {
    const d = decidePending({ spec: mappedSpec(), tis: byTask([ti('src', 'success'), ti('each', 'success', 0), ti('each', null, 1), ti('after', null)]), previous: new Map(), now: NOW });
    expect(d.map((x) => [x.task_id, x.to])).to.deep.equal([['each', 'scheduled']]);
    expect(d[0]!.expand).to.equal(true); // expand-mapped.ts schedules only the undecided instance
  });

  it('wait_for_downstream: waits until the previous run\'s direct downstream tasks succeeded or were skipped', () => {
    const dag = newDag('w');
    const a = new BashOperator({ task_id: 'a', dag, bash_command: 'true', wait_for_downstream: true });
    a.rshift(new BashOperator({ task_id: 'b', dag, bash_command: 'true' }));
    const spec = serializeDag(dag, '/w.ts');
    expect(spec.tasks[0]!.depends_on_past, 'wait_for_downstream implies depends_on_past').to.equal(true);
    const tis = byTask([ti('a', null), ti('b', null)]);
    const decide = (prev: Array<[string, TaskStateOrNone | 'no_previous_run']>) =>
      decidePending({ spec, tis, previous: new Map(prev), now: NOW }).map((x) => x.task_id);
    expect(decide([['a', 'success'], ['b', 'running']])).to.deep.equal([]);
    expect(decide([['a', 'success'], ['b', 'failed']])).to.deep.equal([]);
    expect(decide([['a', 'success'], ['b', 'skipped']])).to.deep.equal(['a']);
    expect(decide([['a', 'no_previous_run'], ['b', 'no_previous_run']])).to.deep.equal(['a']);
    expect(decide([['a', 'failed'], ['b', 'success']])).to.deep.equal([]);
  });
});
