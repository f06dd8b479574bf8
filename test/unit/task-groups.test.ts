/** Task groups (Airflow's TaskGroup): ids, nesting, default_args, edges, declarative form. Pure, no I/O. */
import { expect } from 'chai';
import { BashOperator, chain, DAG, EmptyOperator, TaskGroup, task, taskGroup } from '../../index.ts';
import { buildDeclarativeDag } from '../../core/dag/declarative.ts';
import { serializeDag } from '../../core/dag/serialize.ts';
import { OPERATOR_REGISTRY } from '../../operators/registry.ts';
import { errorOf } from '../support/error-of.ts';

const edges = (dag: DAG) => [...dag.tasks.values()]
  .flatMap((t) => [...t.downstreamIds].map((d) => `${t.task_id}>${d}`)).sort();
const empty = (task_id: string, tg: TaskGroup) => new EmptyOperator({ task_id, task_group: tg });
const build = (doc: unknown) => buildDeclarativeDag(doc, OPERATOR_REGISTRY);

describe('task groups: ids and nesting', () => {
  it('prefixes task ids with the group id and records the group on the task and in the spec', () => {
    const dag = new DAG({ dag_id: 'd' });
    const tg = new TaskGroup({ group_id: 'extract', dag });
    const t = new BashOperator({ task_id: 'pull', task_group: tg, bash_command: 'echo hi' });
    expect(t.task_id).to.equal('extract.pull');
    expect(t.dag).to.equal(dag);
    expect(t.taskGroup).to.equal('extract');
    expect([...dag.tasks.keys()]).to.deep.equal(['extract.pull']);
    expect(t.args).to.deep.equal({ bash_command: 'echo hi' });
    const spec = serializeDag(dag, 'f.ts').tasks[0]!;
    expect(spec).to.deep.include({ task_id: 'extract.pull', task_group: 'extract' });
  });

  it('leaves ids alone with prefix_group_id: false, yet still records the group', () => {
    const dag = new DAG({ dag_id: 'd' });
    const tg = new TaskGroup({ group_id: 'g', dag, prefix_group_id: false });
    const t = empty('plain', tg);
    expect(t.task_id).to.equal('plain');
    expect(t.taskGroup).to.equal('g');
  });

  it('nests groups: ids carry the whole path of prefixing groups (Airflow child_id rules)', () => {
    const dag = new DAG({ dag_id: 'd' });
    const outer = new TaskGroup({ group_id: 'outer', dag, tooltip: 'the outer one' });
    const inner = new TaskGroup({ group_id: 'inner', parent_group: outer });
    expect(inner.group_id).to.equal('outer.inner');
    expect(inner.dag).to.equal(dag);
    expect(outer.tooltip).to.equal('the outer one');
    const t = empty('t', inner);
    expect(t.task_id).to.equal('outer.inner.t');
    expect(t.taskGroup).to.equal('outer.inner');
    expect(empty('u', outer).taskGroup).to.equal('outer');
  });

  it('a non-prefixing parent does not prefix its child group, but the path still nests', () => {
    const dag = new DAG({ dag_id: 'd' });
    const outer = new TaskGroup({ group_id: 'outer', dag, prefix_group_id: false });
    const inner = new TaskGroup({ group_id: 'inner', parent_group: outer });
    const t = empty('t', inner);
    expect(inner.group_id).to.equal('inner');
    expect(t.task_id).to.equal('inner.t');
    expect(t.taskGroup).to.equal('outer.inner');
  });

  it('task() functions and the taskGroup() callback form join groups too', () => {
    const dag = new DAG({ dag_id: 'd' });
    const tg = taskGroup({ group_id: 'cb', dag }, (g) => {
      task({ task_id: 'fn', task_group: g }, () => 1);
      taskGroup({ group_id: 'sub', parent_group: g }, (s) => { empty('x', s); });
    });
    expect([...dag.tasks.keys()].sort()).to.deep.equal(['cb.fn', 'cb.sub.x']);
    expect(tg.allTasks().map((t) => t.task_id).sort()).to.deep.equal(['cb.fn', 'cb.sub.x']);
  });

  it('rejects bad group ids, duplicates, clashes with task ids and mismatched DAGs', () => {
    const dag = new DAG({ dag_id: 'd' });
    const other = new DAG({ dag_id: 'other' });
    expect(errorOf(() => new TaskGroup({ group_id: 'a.b', dag }))).to.include('invalid group_id "a.b"');
    expect(errorOf(() => new TaskGroup({ group_id: 'g' }))).to.include('task group "g": give it a dag');
    const g = new TaskGroup({ group_id: 'g', dag });
    expect(errorOf(() => new TaskGroup({ group_id: 'g', dag }))).to.equal('DAG "d": duplicate task group id "g"');
    new EmptyOperator({ task_id: 'solo', dag });
    expect(errorOf(() => new TaskGroup({ group_id: 'solo', dag }))).to.equal('DAG "d": task group id "solo" is already a task id');
    expect(errorOf(() => new EmptyOperator({ task_id: 'g', dag }))).to.include('task "g" of DAG "d": the id is already a task group\'s id');
    expect(errorOf(() => new EmptyOperator({ task_id: 'x', dag: other, task_group: g })))
      .to.include('task "x": its dag is not the DAG of its task group "g"');
    expect(errorOf(() => new TaskGroup({ group_id: 'h', dag: other, parent_group: g })))
      .to.include('its dag is not the DAG of its parent group "g"');
    expect(errorOf(() => taskGroup({ group_id: 'async', dag }, (async () => undefined) as unknown as () => void)))
      .to.include('must not be async');
  });
});

describe('task groups: default_args', () => {
  it('merges the group default_args over the DAG default_args, and a task\'s own arguments win', () => {
    const dag = new DAG({ dag_id: 'd', default_args: { retries: 1, pool: 'dag_pool', queue: 'q_dag' } });
    const outer = new TaskGroup({ group_id: 'o', dag, default_args: { retries: 3, pool: 'outer_pool' } });
    const inner = new TaskGroup({ group_id: 'i', parent_group: outer, default_args: { retries: 5 } });
    const t = empty('t', inner);
    const own = new EmptyOperator({ task_id: 'own', task_group: inner, retries: 0 });
    const top = new EmptyOperator({ task_id: 'top', dag });
    expect(t.common).to.deep.include({ retries: 5, pool: 'outer_pool', queue: 'q_dag' });
    expect(own.common.retries).to.equal(0);
    expect(empty('o2', outer).common).to.deep.include({ retries: 3, pool: 'outer_pool' });
    expect(top.common).to.deep.include({ retries: 1, pool: 'dag_pool' });
  });

  it('an invalid group default_arg is an error naming the task it reaches', () => {
    const dag = new DAG({ dag_id: 'd' });
    const tg = new TaskGroup({ group_id: 'g', dag, default_args: { retries: -1 } });
    expect(errorOf(() => empty('t', tg))).to.match(/^task "g.t" of DAG "d": retries: /);
  });
});

describe('task groups: dependencies', () => {
  /** start >> [g.a >> g.b, g.c] >> end, built in several ways below. */
  function fixture() {
    const dag = new DAG({ dag_id: 'd' });
    const start = new EmptyOperator({ task_id: 'start', dag });
    const end = new EmptyOperator({ task_id: 'end', dag });
    const g = new TaskGroup({ group_id: 'g', dag });
    const [a, b, c] = ['a', 'b', 'c'].map((id) => empty(id, g)) as [EmptyOperator, EmptyOperator, EmptyOperator];
    a.rshift(b);
    return { dag, start, end, g, a, b, c };
  }
  const expected = ['g.a>g.b', 'g.b>end', 'g.c>end', 'start>g.a', 'start>g.c'];

  it('roots have no upstream inside the group, leaves no downstream inside it', () => {
    const { g, start } = fixture();
    start.rshift(g);   // an upstream outside the group does not change the roots
    expect(g.roots().map((t) => t.task_id)).to.deep.equal(['g.a', 'g.c']);
    expect(g.leaves().map((t) => t.task_id)).to.deep.equal(['g.b', 'g.c']);
  });

  it('task.rshift(group) and group.rshift(task) link roots and leaves', () => {
    const { dag, start, end, g } = fixture();
    start.rshift(g).rshift(end);
    expect(edges(dag)).to.deep.equal(expected);
  });

  it('lshift and set_upstream/set_downstream work the same in the other direction', () => {
    const { dag, start, end, g } = fixture();
    g.lshift(start);
    end.set_upstream(g);
    expect(edges(dag)).to.deep.equal(expected);
    const f = fixture();
    f.end.lshift(f.g);
    f.g.set_upstream(f.start);
    expect(edges(f.dag)).to.deep.equal(expected);
  });

  it('chain() accepts groups, alone and in lists', () => {
    const { dag, start, end, g } = fixture();
    chain(start, g, end);
    expect(edges(dag)).to.deep.equal(expected);
    const f = fixture();
    const x = new EmptyOperator({ task_id: 'x', dag: f.dag });
    chain(f.start, [f.g, x], f.end);
    expect(edges(f.dag)).to.deep.equal([...expected, 'start>x', 'x>end'].sort());
  });

  it('group.rshift(group) links every leaf of the first to every root of the second', () => {
    const { dag, g } = fixture();
    const h = new TaskGroup({ group_id: 'h', dag });
    const [p, q] = [empty('p', h), empty('q', h)];
    p.rshift(q);
    new EmptyOperator({ task_id: 'r', task_group: h });
    g.rshift(h);
    expect(edges(dag)).to.deep.equal(['g.a>g.b', 'g.b>h.p', 'g.b>h.r', 'g.c>h.p', 'g.c>h.r', 'h.p>h.q']);
    expect(serializeDag(dag, 'f.ts').tasks.map((t) => t.task_id).slice(-1)).to.deep.equal(['h.q']);
  });

  it('nested groups count as part of the enclosing group for roots and leaves', () => {
    const dag = new DAG({ dag_id: 'd' });
    const outer = new TaskGroup({ group_id: 'o', dag });
    const first = empty('first', outer);
    const inner = new TaskGroup({ group_id: 'i', parent_group: outer });
    const [x, y] = [empty('x', inner), empty('y', inner)];
    first.rshift(inner);
    expect(outer.roots()).to.deep.equal([first]);
    expect(outer.leaves()).to.deep.equal([x, y]);
  });

  it('linking an empty group is an error rather than a silently lost dependency', () => {
    const dag = new DAG({ dag_id: 'd' });
    const start = new EmptyOperator({ task_id: 'start', dag });
    const g = new TaskGroup({ group_id: 'later', dag });
    expect(errorOf(() => start.rshift(g))).to.equal(
      'DAG "d": task group "later" has no tasks yet; create its tasks before linking the group');
    expect(errorOf(() => g.rshift(start))).to.include('task group "later" has no tasks yet');
  });

  it('linking a group of another DAG is an error', () => {
    const { start } = fixture();
    const other = new DAG({ dag_id: 'other' });
    const og = new TaskGroup({ group_id: 'og', dag: other });
    empty('t', og);
    expect(errorOf(() => start.rshift(og))).to.include('cannot link "start" to "og.t": they belong to different DAGs');
  });
});

describe('task groups: declarative DAGs', () => {
  it('task_group prefixes ids, nests with dots, and depends_on may name a group (its leaves)', () => {
    const dag = build({
      name: 'decl', tasks: [
        { id: 'report', type: 'empty', depends_on: ['etl'] },
        { id: 'start', type: 'empty' },
        { id: 'pull', type: 'empty', task_group: 'etl.extract', depends_on: 'start' },
        { id: 'clean', type: 'empty', task_group: 'etl', depends_on: ['etl.extract'] },
        { id: 'load', type: 'bash', task_group: 'etl', depends_on: ['etl.clean'], bash_command: 'echo hi' },
        { id: 'audit', type: 'empty', task_group: 'etl', depends_on: ['start'] },
      ],
    });
    expect([...dag.tasks.keys()].sort()).to.deep.equal(
      ['etl.audit', 'etl.clean', 'etl.extract.pull', 'etl.load', 'report', 'start']);
    expect(edges(dag)).to.deep.equal([
      'etl.audit>report', 'etl.clean>etl.load', 'etl.extract.pull>etl.clean', 'etl.load>report',
      'start>etl.audit', 'start>etl.extract.pull',
    ]);
    expect(dag.getTask('etl.extract.pull').taskGroup).to.equal('etl.extract');
    expect(dag.getTask('etl.load').args).to.deep.equal({ bash_command: 'echo hi' });
  });

  it('names the task and the value when task_group is malformed', () => {
    expect(errorOf(() => build({ name: 'd', tasks: [{ id: 'a', type: 'empty', task_group: 'bad group' }] })))
      .to.include('DAG "d": tasks[0] ("a"): "task_group" must be a group id such as "etl" or "etl.load"');
    expect(errorOf(() => build({ name: 'd', tasks: [{ id: 'a', type: 'empty', task_group: 3 }] })))
      .to.include('got 3');
  });

  it('an unknown depends_on names the task and suggests the full id of a sibling', () => {
    const msg = errorOf(() => build({
      name: 'd', tasks: [
        { id: 'a', type: 'empty', task_group: 'g' },
        { id: 'b', type: 'empty', task_group: 'g', depends_on: ['a'] },
      ],
    }));
    expect(msg).to.equal('DAG "d": task "g.b" depends on unknown task or task group "a" (did you mean "g.a"? depends_on takes full task ids)');
  });

  it('a task depending on its own group, or a group clashing with a task id, is an error', () => {
    expect(errorOf(() => build({ name: 'd', tasks: [{ id: 'a', type: 'empty', task_group: 'g', depends_on: 'g' }] })))
      .to.equal('DAG "d": task "g.a" depends on its own task group "g"');
    expect(errorOf(() => build({ name: 'd', tasks: [{ id: 'g', type: 'empty' }, { id: 'a', type: 'empty', task_group: 'g' }] })))
      .to.equal('DAG "d": task group id "g" is already a task id');
  });

  it('resolves a reference to an inner group before one to its enclosing group', () => {
    // "o.after" follows the leaves of "o.i"; only then is it the single leaf of "o".
    const dag = build({
      name: 'order', tasks: [
        { id: 'end', type: 'empty', depends_on: 'o' },
        { id: 'after', type: 'empty', task_group: 'o', depends_on: 'o.i' },
        { id: 'x', type: 'empty', task_group: 'o.i' },
      ],
    });
    expect(edges(dag)).to.deep.equal(['o.after>end', 'o.i.x>o.after']);
  });
});
