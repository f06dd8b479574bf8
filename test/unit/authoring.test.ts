/** The authoring API DAG files import as `updraft`: DAG, operators, dependencies, task args. Pure, no I/O. */
import { expect } from 'chai';
import { BashOperator, chain, DAG, EmptyOperator, task, type BaseOperator } from '../../index.ts';
import { serializeDag } from '../../core/dag/serialize.ts';
import { errorOf } from '../support/error-of.ts';


const edges = (dag: DAG) => [...dag.tasks.values()]
  .flatMap((t) => [...t.downstreamIds].map((d) => `${t.task_id}>${d}`)).sort();

const empties = (dag: DAG, ...ids: string[]) => ids.map((id) => new EmptyOperator({ task_id: id, dag }));

describe('authoring: DAG arguments', () => {
  it('accepts a valid dag_id and keeps the arguments', () => {
    const dag = new DAG({ dag_id: 'my.dag-1_ok', schedule: '@daily', tags: ['a'] });
    expect(dag.dag_id).to.equal('my.dag-1_ok');
    expect(dag.args.tags).to.deep.equal(['a']);
    expect(dag.tasks.size).to.equal(0);
  });

  for (const bad of ['has space', 'semi;colon', 'slash/here', '']) {
    it(`rejects dag_id ${JSON.stringify(bad)} with a message naming the allowed characters`, () => {
      const msg = errorOf(() => new DAG({ dag_id: bad }));
      expect(msg).to.include(`DAG ${JSON.stringify(bad)}`);
      expect(msg).to.include('dag_id');
      expect(msg).to.include('letters, digits');
    });
  }

  it('rejects a dag_id that is not a string', () => {
    const msg = errorOf(() => new DAG({ dag_id: 42 as unknown as string }));
    expect(msg).to.match(/^DAG 42: dag_id: /);
  });

  it('rejects invalid max_active_runs and catchup, naming the field', () => {
    expect(errorOf(() => new DAG({ dag_id: 'd', max_active_runs: 0 }))).to.match(/^DAG "d": max_active_runs: /);
    expect(errorOf(() => new DAG({ dag_id: 'd', max_active_tasks: 1.5 }))).to.match(/^DAG "d": max_active_tasks: /);
    expect(errorOf(() => new DAG({ dag_id: 'd', catchup: 'yes' as unknown as boolean }))).to.match(/^DAG "d": catchup: /);
  });
});

describe('authoring: tasks in a DAG', () => {
  it('registers tasks with their DAG and finds them by id', () => {
    const dag = new DAG({ dag_id: 'd' });
    const [a] = empties(dag, 'a');
    expect(dag.getTask('a')).to.equal(a);
    expect(a!.dag).to.equal(dag);
    expect(errorOf(() => dag.getTask('zz'))).to.equal('DAG "d" has no task "zz"');
  });

  it('rejects a duplicate task_id in the same DAG', () => {
    const dag = new DAG({ dag_id: 'd' });
    new EmptyOperator({ task_id: 'a', dag });
    expect(errorOf(() => new EmptyOperator({ task_id: 'a', dag }))).to.equal('DAG "d": duplicate task_id "a"');
    expect(dag.tasks.size).to.equal(1);
  });

  it('allows the same task_id in two different DAGs', () => {
    const a1 = new EmptyOperator({ task_id: 'a', dag: new DAG({ dag_id: 'd1' }) });
    const a2 = new EmptyOperator({ task_id: 'a', dag: new DAG({ dag_id: 'd2' }) });
    expect(a1.dag!.dag_id).to.equal('d1');
    expect(a2.dag!.dag_id).to.equal('d2');
  });

  it('rejects an invalid task_id', () => {
    const dag = new DAG({ dag_id: 'd' });
    expect(errorOf(() => new EmptyOperator({ task_id: 'bad id', dag }))).to.match(/^invalid task_id "bad id"/);
    expect(errorOf(() => new EmptyOperator({ task_id: undefined as unknown as string, dag }))).to.match(/^invalid task_id/);
  });
});

describe('authoring: dependencies', () => {
  it('rshift links downstream and returns its argument, so calls chain', () => {
    const dag = new DAG({ dag_id: 'd' });
    const [a, b, c] = empties(dag, 'a', 'b', 'c');
    const ret = a!.rshift(b!);
    expect(ret).to.equal(b);
    ret.rshift(c!);
    expect(edges(dag)).to.deep.equal(['a>b', 'b>c']);
    expect([...c!.upstreamIds]).to.deep.equal(['b']);
    expect([...a!.upstreamIds]).to.deep.equal([]);
  });

  it('rshift and lshift accept lists', () => {
    const dag = new DAG({ dag_id: 'd' });
    const [a, b, c, d] = empties(dag, 'a', 'b', 'c', 'd');
    const list = a!.rshift([b!, c!]);
    expect(list).to.deep.equal([b, c]);
    d!.lshift([b!, c!]);
    expect(edges(dag)).to.deep.equal(['a>b', 'a>c', 'b>d', 'c>d']);
    expect([...d!.upstreamIds].sort()).to.deep.equal(['b', 'c']);
  });

  it('lshift and set_upstream make the argument the upstream task', () => {
    const dag = new DAG({ dag_id: 'd' });
    const [a, b, c] = empties(dag, 'a', 'b', 'c');
    expect(b!.lshift(a!)).to.equal(a);
    c!.set_upstream(b!);
    expect(edges(dag)).to.deep.equal(['a>b', 'b>c']);
    expect([...b!.upstreamIds]).to.deep.equal(['a']);
    expect([...b!.downstreamIds]).to.deep.equal(['c']);
  });

  it('set_downstream is idempotent (linking twice keeps one edge)', () => {
    const dag = new DAG({ dag_id: 'd' });
    const [a, b] = empties(dag, 'a', 'b');
    a!.set_downstream(b!);
    a!.rshift(b!);
    expect(edges(dag)).to.deep.equal(['a>b']);
  });

  it('chain links each element after the previous one, fanning out and in around a list', () => {
    const dag = new DAG({ dag_id: 'd' });
    const [a, b, c, d] = empties(dag, 'a', 'b', 'c', 'd');
    chain(a!, [b!, c!], d!);
    expect(edges(dag)).to.deep.equal(['a>b', 'a>c', 'b>d', 'c>d']);
  });

  it('chain links two adjacent lists pairwise, not all to all', () => {
    const dag = new DAG({ dag_id: 'd' });
    const [a, b, c, d, e] = empties(dag, 'a', 'b', 'c', 'd', 'e');
    chain([a!, b!], [c!, d!], e!);
    expect(edges(dag)).to.deep.equal(['a>c', 'b>d', 'c>e', 'd>e']);
  });

  it('chain rejects adjacent lists of different lengths', () => {
    const dag = new DAG({ dag_id: 'd' });
    const [a, b, c] = empties(dag, 'a', 'b', 'c');
    expect(errorOf(() => chain([a!, b!], [c!]))).to.equal('chain: adjacent lists must have the same length');
  });

  it('chain of a single element, or none, links nothing', () => {
    const dag = new DAG({ dag_id: 'd' });
    const [a] = empties(dag, 'a');
    chain(a!);
    chain();
    expect(edges(dag)).to.deep.equal([]);
  });

  it('refuses to link tasks of different DAGs, or a task without a DAG to one with a DAG', () => {
    const [x] = empties(new DAG({ dag_id: 'd1' }), 'x');
    const [y] = empties(new DAG({ dag_id: 'd2' }), 'y');
    const loose = new EmptyOperator({ task_id: 'loose' });
    expect(errorOf(() => x!.rshift(y!))).to.equal('cannot link "x" to "y": they belong to different DAGs');
    expect(errorOf(() => x!.lshift(y!))).to.equal('cannot link "y" to "x": they belong to different DAGs');
    expect(errorOf(() => chain(x!, [y!]))).to.include('they belong to different DAGs');
    expect(errorOf(() => loose.set_upstream(x!))).to.include('they belong to different DAGs');
    expect(x!.downstreamIds.size + x!.upstreamIds.size + y!.upstreamIds.size + y!.downstreamIds.size).to.equal(0);
  });
});

describe('authoring: common task arguments', () => {
  it('applies the documented defaults', () => {
    const [a] = empties(new DAG({ dag_id: 'd' }), 'a');
    expect(a!.common).to.deep.include({
      retries: 0, retry_delay_ms: 300_000, retry_exponential_backoff: false, max_retry_delay_ms: null,
      execution_timeout_ms: null, trigger_rule: 'all_success', depends_on_past: false, priority_weight: 1,
      weight_rule: 'downstream', pool: 'default_pool', pool_slots: 1, queue: 'default', do_xcom_push: true,
    });
  });

  it('merges default_args under the task arguments; the task\'s own value wins, even when falsy or null', () => {
    const dag = new DAG({
      dag_id: 'd',
      default_args: { retries: 3, retry_delay: 10, pool: 'shared', execution_timeout: 60, depends_on_past: true, queue: 'q1' },
    });
    const inherits = new EmptyOperator({ task_id: 'inherits', dag });
    const own = new EmptyOperator({
      task_id: 'own', dag, retries: 0, pool: 'mine', execution_timeout: null, depends_on_past: false,
    });
    expect(inherits.common).to.deep.include({
      retries: 3, retry_delay_ms: 10_000, pool: 'shared', execution_timeout_ms: 60_000, depends_on_past: true, queue: 'q1',
    });
    expect(own.common).to.deep.include({
      retries: 0, retry_delay_ms: 10_000, pool: 'mine', execution_timeout_ms: null, depends_on_past: false, queue: 'q1',
    });
  });

  it('validates default_args values and names the task in the message', () => {
    const dag = new DAG({ dag_id: 'd', default_args: { retries: -1 } });
    expect(errorOf(() => new EmptyOperator({ task_id: 'a', dag }))).to.match(/^task "a" of DAG "d": retries: /);
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['trigger_rule', { trigger_rule: 'all_sucess' }, /all_success/],
    ['weight_rule', { weight_rule: 'sideways' }, /downstream/],
    ['pool_slots', { pool_slots: 0 }, /1/],
    ['retries', { retries: -1 }, /0/],
    ['retries', { retries: 1.5 }, /int/],
    ['priority_weight', { priority_weight: 'high' }, /number/],
    ['queue', { queue: 'bad queue' }, /queue names/],
    ['on_failure_callback', { on_failure_callback: 'notify' }, /function/],
  ];
  for (const [field, args, detail] of invalid) {
    it(`rejects ${field}=${JSON.stringify(Object.values(args)[0])} with a message naming the task and the field`, () => {
      const dag = new DAG({ dag_id: 'd' });
      const msg = errorOf(() => new EmptyOperator({ task_id: 'my_task', dag, ...args } as never));
      expect(msg).to.match(new RegExp(`^task "my_task" of DAG "d": ${field}: `));
      expect(msg).to.match(detail);
    });
  }

  it('names the task without a DAG too', () => {
    expect(errorOf(() => new EmptyOperator({ task_id: 'solo', trigger_rule: 'nope' as never }))).to.match(/^task "solo": trigger_rule: /);
  });
});

describe('authoring: durations compile to milliseconds', () => {
  const dag = new DAG({ dag_id: 'durations' });
  let n = 0;
  const op = (args: Record<string, unknown>) => new EmptyOperator({ task_id: `t${n++}`, dag, ...args } as never);

  const cases: Array<[string, unknown, number]> = [
    ['seconds as a number', 90, 90_000],
    ['fractional seconds', 1.5, 1_500],
    ['seconds as a numeric string', '30', 30_000],
    ['zero', 0, 0],
    ['an ISO-8601 duration', 'PT5M', 300_000],
    ['an ISO-8601 duration with days', 'P1DT2H', 26 * 3_600_000],
    ['an object', { minutes: 2, seconds: 5 }, 125_000],
    ['an object with days and milliseconds', { days: 1, milliseconds: 250 }, 86_400_250],
  ];
  for (const [what, input, ms] of cases) {
    it(`${what}: ${JSON.stringify(input)} -> ${ms} ms`, () => {
      const t = op({ retry_delay: input, max_retry_delay: input, execution_timeout: input });
      expect(t.common.retry_delay_ms).to.equal(ms);
      expect(t.common.max_retry_delay_ms).to.equal(ms);
      expect(t.common.execution_timeout_ms).to.equal(ms);
    });
  }

  const bad: Array<[unknown, RegExp]> = [
    ['soon', /"soon" is not a number of seconds nor an ISO-8601 duration/],
    [-1, /non-negative/],
    [{ mins: 2 }, /unknown duration field "mins"/],
  ];
  for (const [input, re] of bad) {
    it(`rejects ${JSON.stringify(input)} naming the task and the field`, () => {
      const msg = errorOf(() => op({ task_id: 'slow', execution_timeout: input }));
      expect(msg).to.match(/^task "slow" of DAG "durations": execution_timeout: /);
      expect(msg).to.match(re);
    });
  }

  it('compiles the DAG\'s dagrun_timeout when serialized', () => {
    const d = new DAG({ dag_id: 'timeouts', dagrun_timeout: { hours: 1 } });
    expect(serializeDag(d, '/f.ts').dagrun_timeout_ms).to.equal(3_600_000);
    expect(serializeDag(new DAG({ dag_id: 'no_timeout' }), '/f.ts').dagrun_timeout_ms).to.equal(null);
  });
});

describe('authoring: operators', () => {
  it('BashOperator keeps its arguments and templated fields', () => {
    const dag = new DAG({ dag_id: 'd' });
    const b = new BashOperator({ task_id: 'b', dag, bash_command: 'echo {{ ds }}', env: { A: '1' }, skip_on_exit_code: [3, 4] });
    expect(b.operatorType).to.equal('bash');
    expect(b.args).to.deep.equal({ bash_command: 'echo {{ ds }}', env: { A: '1' }, skip_on_exit_code: [3, 4] });
    expect(b.templateFields).to.include('bash_command');
    expect(b.needsDagFile).to.equal(false);
  });

  it('BashOperator requires bash_command', () => {
    const dag = new DAG({ dag_id: 'd' });
    expect(errorOf(() => new BashOperator({ task_id: 'b', dag } as never)))
      .to.equal('task "b" of DAG "d": bash_command: bash_command is required (a string)');
    expect(errorOf(() => new BashOperator({ task_id: 'b2', dag, bash_command: '' })))
      .to.equal('task "b2" of DAG "d": bash_command: bash_command must not be empty');
    expect(dag.tasks.size).to.equal(0);
  });

  it('BashOperator rejects an unknown argument, naming it', () => {
    const dag = new DAG({ dag_id: 'd' });
    const msg = errorOf(() => new BashOperator({ task_id: 'b', dag, bash_command: 'true', bash_comand: 'typo' } as never));
    expect(msg).to.match(/^task "b" of DAG "d": /);
    expect(msg).to.include('"bash_comand"');
  });

  it('EmptyOperator rejects operator arguments it does not take', () => {
    const dag = new DAG({ dag_id: 'd' });
    expect(errorOf(() => new EmptyOperator({ task_id: 'e', dag, bash_command: 'x' } as never))).to.include('"bash_command"');
  });

  it('task() needs a function', () => {
    const dag = new DAG({ dag_id: 'd' });
    expect(errorOf(() => task({ task_id: 'f', dag }, 'not a function' as never))).to.equal('task "f": task() needs a function');
    const t = task({ task_id: 'g', dag }, () => 42);
    expect(t.operatorType).to.equal('task');
    expect(t.needsDagFile).to.equal(true);
    expect(dag.getTask('g')).to.equal(t);
  });
});

describe('authoring: callbacks make the worker import the DAG file', () => {
  const spec = (dag: DAG) => Object.fromEntries(serializeDag(dag, '/f.ts').tasks.map((t) => [t.task_id, t.needs_dag_file]));

  it('a task callback sets needs_dag_file on that task only', () => {
    const dag = new DAG({ dag_id: 'd' });
    const cb = () => undefined;
    const plain = new BashOperator({ task_id: 'plain', dag, bash_command: 'true' });
    const withCb = new BashOperator({ task_id: 'with_cb', dag, bash_command: 'true', on_failure_callback: cb });
    const retryCb = new EmptyOperator({ task_id: 'retry_cb', dag, on_retry_callback: cb });
    chain(plain, withCb, retryCb);
    expect(withCb.common.callbacks).to.have.keys(['on_failure_callback']);
    expect(spec(dag)).to.deep.equal({ plain: false, with_cb: true, retry_cb: true });
  });

  it('callbacks in default_args reach every task', () => {
    const dag = new DAG({ dag_id: 'd', default_args: { on_success_callback: () => undefined } });
    empties(dag, 'a', 'b');
    expect(spec(dag)).to.deep.equal({ a: true, b: true });
  });

  it('function tasks need the DAG file; DAG callbacks are flagged on the DAG', () => {
    const dag = new DAG({ dag_id: 'd', on_failure_callback: () => undefined });
    const fn: BaseOperator = task({ task_id: 'fn', dag }, () => 1);
    const [e] = empties(dag, 'e');
    fn.rshift(e!);
    const s = serializeDag(dag, '/f.ts');
    expect(s.has_dag_callbacks).to.equal(true);
    expect(Object.fromEntries(s.tasks.map((t) => [t.task_id, t.needs_dag_file]))).to.deep.equal({ fn: true, e: false });
    expect(serializeDag(new DAG({ dag_id: 'none' }), '/f.ts').has_dag_callbacks).to.equal(false);
  });
});
