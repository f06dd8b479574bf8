import { expect } from 'chai';
import {
  QUEUE_DEPS, SCHEDULE_DEPS, countUpstream, dagTiSlotsAvailable, dagUnpaused, dagrunRunning, evaluateDeps, failingDeps,
  notInRetryPeriod, poolExists, poolSlotsAvailable, prevDagrunSucceeded, readyToReschedule, taskConcurrency,
  triggerRuleMet, validStateForScheduling, type TiDepContext,
} from '../../core/rules/index.ts';

const NOW = new Date('2026-11-21T06:00:00Z');
const later = (s: number) => new Date(NOW.getTime() + s * 1000);

/** A context in which every dep passes; each test changes one thing. */
function ctx(over: {
  ti?: Partial<TiDepContext['ti']>; task?: Partial<TiDepContext['task']>; run?: Partial<TiDepContext['run']>;
  dag?: Partial<TiDepContext['dag']>; pool?: Partial<TiDepContext['pool']>;
  upstream?: TiDepContext['upstream']; previous?: TiDepContext['previous'];
} = {}): TiDepContext {
  return {
    now: NOW,
    ti: { state: null, try_number: 1, max_tries: 0, next_retry_at: null, reschedule_at: null, ...over.ti },
    task: { trigger_rule: 'all_success', depends_on_past: false, pool: 'default_pool', pool_slots: 1, ...over.task },
    run: { state: 'running', ...over.run },
    dag: { is_paused: false, active_tasks: 0, max_active_tasks: 16, ...over.dag },
    upstream: over.upstream ?? countUpstream(['success']),
    previous: 'previous' in over ? (over.previous as TiDepContext['previous']) : 'no_previous_run', // explicit null = state none
    pool: { exists: true, open_slots: 128, ...over.pool },
  };
}

describe('deps: rule sets', () => {
  it('SCHEDULE_DEPS and QUEUE_DEPS hold the documented rules, in order', () => {
    expect(evaluateDeps(SCHEDULE_DEPS, ctx()).map((s) => s.name)).to.deep.equal([
      'Dagrun Running', 'Task Instance State', 'Not In Retry Period', 'Ready To Reschedule', 'Trigger Rule', 'Previous Dagrun State',
    ]);
    expect(evaluateDeps(QUEUE_DEPS, ctx()).map((s) => s.name)).to.deep.equal([
      'Dag Not Paused', 'Pool Exists', 'Pool Slots Available', 'Task Instance Slots Available', 'Task Concurrency',
    ]);
  });

  it('everything passes in the baseline context', () => {
    expect(failingDeps(SCHEDULE_DEPS, ctx())).to.deep.equal([]);
    expect(failingDeps(QUEUE_DEPS, ctx())).to.deep.equal([]);
    expect(evaluateDeps(SCHEDULE_DEPS, ctx()).every((s) => s.passed && s.reason.length > 0)).to.equal(true);
  });

  it('failingDeps returns only the failures, all of them', () => {
    const c = ctx({ run: { state: 'queued' }, upstream: countUpstream(['running']), dag: { is_paused: true }, pool: { open_slots: 0 } });
    expect(failingDeps(SCHEDULE_DEPS, c).map((s) => s.name)).to.deep.equal(['Dagrun Running', 'Trigger Rule']);
    expect(failingDeps(QUEUE_DEPS, c).map((s) => s.name)).to.deep.equal(['Dag Not Paused', 'Pool Slots Available']);
    expect(failingDeps(SCHEDULE_DEPS, c).every((s) => !s.passed)).to.equal(true);
  });

  it('the rule sets cannot be mutated', () => {
    expect(Object.isFrozen(SCHEDULE_DEPS)).to.equal(true);
    expect(Object.isFrozen(QUEUE_DEPS)).to.equal(true);
  });
});

describe('deps: Dagrun Running', () => {
  it('passes when the run is running', () => {
    expect(dagrunRunning(ctx()).passed).to.equal(true);
  });
  for (const state of ['queued', 'success', 'failed'] as const) {
    it(`fails when the run is ${state}`, () => {
      expect(dagrunRunning(ctx({ run: { state } }))).to.deep.equal({
        name: 'Dagrun Running', passed: false,
        reason: `Task instance's DAG run was not in the 'running' state but in the state '${state}'.`,
      });
    });
  }
});

describe('deps: Task Instance State', () => {
  for (const state of [null, 'up_for_retry', 'up_for_reschedule'] as const) {
    it(`passes for ${state ?? 'none'}`, () => {
      const s = validStateForScheduling(ctx({ ti: { state } }));
      expect(s.passed).to.equal(true);
      expect(s.reason).to.equal(`Task state ${state ?? 'none'} was valid.`);
    });
  }
  for (const state of ['scheduled', 'queued', 'running', 'success', 'failed', 'skipped', 'upstream_failed', 'deferred', 'restarting', 'removed'] as const) {
    it(`fails for ${state}`, () => {
      expect(validStateForScheduling(ctx({ ti: { state } }))).to.deep.equal({
        name: 'Task Instance State', passed: false,
        reason: `Task is in the '${state}' state; only none, up_for_retry and up_for_reschedule can be scheduled.`,
      });
    });
  }
});

describe('deps: Not In Retry Period', () => {
  it('passes when the task is not up for retry, even with a future retry time', () => {
    const s = notInRetryPeriod(ctx({ ti: { state: null, next_retry_at: later(60) } }));
    expect(s).to.deep.equal({ name: 'Not In Retry Period', passed: true, reason: 'The task instance was not marked for retrying.' });
  });
  it('fails while the retry time is in the future', () => {
    expect(notInRetryPeriod(ctx({ ti: { state: 'up_for_retry', next_retry_at: later(60) } }))).to.deep.equal({
      name: 'Not In Retry Period', passed: false,
      reason: 'Task is not ready for retry yet but will be retried automatically. Current date is 2026-11-21T06:00:00.000Z and task will be retried at 2026-11-21T06:01:00.000Z.',
    });
  });
  it('still fails at exactly the retry time (Airflow requires next_retry < now)', () => {
    expect(notInRetryPeriod(ctx({ ti: { state: 'up_for_retry', next_retry_at: NOW } })).passed).to.equal(false);
  });
  it('passes once the retry time has passed', () => {
    const s = notInRetryPeriod(ctx({ ti: { state: 'up_for_retry', next_retry_at: later(-1) } }));
    expect(s.passed).to.equal(true);
    expect(s.reason).to.equal('The retry delay has elapsed (retry was due at 2026-11-21T05:59:59.000Z).');
  });
  it('passes when no retry time was recorded', () => {
    expect(notInRetryPeriod(ctx({ ti: { state: 'up_for_retry', next_retry_at: null } })).passed).to.equal(true);
  });
});

describe('deps: Ready To Reschedule', () => {
  it('fails while the reschedule time is in the future', () => {
    expect(readyToReschedule(ctx({ ti: { state: 'up_for_reschedule', reschedule_at: later(30) } }))).to.deep.equal({
      name: 'Ready To Reschedule', passed: false,
      reason: 'Task is not ready for reschedule yet but will be rescheduled automatically. Current date is 2026-11-21T06:00:00.000Z and task will be rescheduled at 2026-11-21T06:00:30.000Z.',
    });
  });
  it('also applies to state none (as Airflow does)', () => {
    expect(readyToReschedule(ctx({ ti: { state: null, reschedule_at: later(30) } })).passed).to.equal(false);
  });
  it('passes at exactly the reschedule time', () => {
    expect(readyToReschedule(ctx({ ti: { state: 'up_for_reschedule', reschedule_at: NOW } })).passed).to.equal(true);
  });
  it('passes without a reschedule request', () => {
    expect(readyToReschedule(ctx({ ti: { state: 'up_for_reschedule', reschedule_at: null } })).reason)
      .to.equal('There is no reschedule request for this task instance.');
  });
  it('passes for other states', () => {
    const s = readyToReschedule(ctx({ ti: { state: 'up_for_retry', reschedule_at: later(30) } }));
    expect(s.passed).to.equal(true);
    expect(s.reason).to.equal('The task instance is not in the up_for_reschedule or none state.');
  });
});

describe('deps: Trigger Rule', () => {
  it('passes with no upstream tasks', () => {
    expect(triggerRuleMet(ctx({ upstream: countUpstream([]) }))).to.deep.equal({
      name: 'Trigger Rule', passed: true, reason: 'The task instance did not have any upstream tasks.',
    });
  });
  it('passes when the rule is met, showing the counts', () => {
    expect(triggerRuleMet(ctx({ upstream: countUpstream(['success', 'success']) })).reason).to.equal(
      "Trigger rule 'all_success' is met (success=2, skipped=0, failed=0, upstream_failed=0, removed=0, done=2 of 2).",
    );
  });
  it('passes for always even with nothing finished', () => {
    const s = triggerRuleMet(ctx({ task: { trigger_rule: 'always' }, upstream: countUpstream([null]) }));
    expect(s.passed).to.equal(true);
    expect(s.reason).to.equal("The task has the 'always' trigger rule.");
  });
  it('fails while waiting, with the rule reason', () => {
    expect(triggerRuleMet(ctx({ upstream: countUpstream(['success', 'success', 'running']) }))).to.deep.equal({
      name: 'Trigger Rule', passed: false,
      reason: 'all_success requires all 3 upstream tasks to succeed; 1 still running/not done (done=2)',
    });
  });
  it('fails on a skip or upstream_failed decision', () => {
    const skip = triggerRuleMet(ctx({ upstream: countUpstream(['skipped']) }));
    expect(skip.passed).to.equal(false);
    expect(skip.reason).to.include('the task is skipped');
    const uf = triggerRuleMet(ctx({ task: { trigger_rule: 'none_failed' }, upstream: countUpstream(['failed']) }));
    expect(uf.passed).to.equal(false);
    expect(uf.reason).to.include('the task is upstream_failed');
  });
});

describe('deps: Previous Dagrun State (depends_on_past)', () => {
  it('passes when depends_on_past is off, whatever the previous state', () => {
    expect(prevDagrunSucceeded(ctx({ previous: 'failed' }))).to.deep.equal({
      name: 'Previous Dagrun State', passed: true, reason: 'The task did not have depends_on_past set.',
    });
  });
  it('passes on the first run', () => {
    expect(prevDagrunSucceeded(ctx({ task: { depends_on_past: true }, previous: 'no_previous_run' })).reason)
      .to.equal('This task instance was the first task instance for its task.');
  });
  for (const previous of ['success', 'skipped'] as const) {
    it(`passes when the previous one is ${previous}`, () => {
      expect(prevDagrunSucceeded(ctx({ task: { depends_on_past: true }, previous })).passed).to.equal(true);
    });
  }
  for (const previous of ['failed', 'upstream_failed', 'running', 'up_for_retry', null] as const) {
    it(`fails when the previous one is ${previous ?? 'none'}`, () => {
      expect(prevDagrunSucceeded(ctx({ task: { depends_on_past: true }, previous }))).to.deep.equal({
        name: 'Previous Dagrun State', passed: false,
        reason: `depends_on_past is true for this task, but the previous task instance is in the '${previous ?? 'none'}' state (it must be success or skipped).`,
      });
    });
  }
});

describe('deps: Dag Not Paused', () => {
  it('passes when unpaused', () => {
    expect(dagUnpaused(ctx())).to.deep.equal({ name: 'Dag Not Paused', passed: true, reason: "Task's DAG is not paused." });
  });
  it('fails when paused', () => {
    expect(dagUnpaused(ctx({ dag: { is_paused: true } }))).to.deep.equal({ name: 'Dag Not Paused', passed: false, reason: "Task's DAG is paused." });
  });
});

describe('deps: Pool Exists', () => {
  it('passes when the pool exists', () => {
    expect(poolExists(ctx()).passed).to.equal(true);
  });
  it('fails for a missing pool', () => {
    expect(poolExists(ctx({ task: { pool: 'gpu' }, pool: { exists: false, open_slots: 0 } }))).to.deep.equal({
      name: 'Pool Exists', passed: false, reason: "Tasks using non-existent pool 'gpu' will not be scheduled.",
    });
  });
});

describe('deps: Pool Slots Available', () => {
  it('passes with exactly pool_slots open', () => {
    const s = poolSlotsAvailable(ctx({ task: { pool: 'db', pool_slots: 3 }, pool: { open_slots: 3 } }));
    expect(s).to.deep.equal({
      name: 'Pool Slots Available', passed: true, reason: "There are enough open slots in pool 'db' to execute the task (3 open, 3 needed).",
    });
  });
  it('fails with fewer open slots than the task needs', () => {
    expect(poolSlotsAvailable(ctx({ task: { pool: 'db', pool_slots: 3 }, pool: { open_slots: 2 } }))).to.deep.equal({
      name: 'Pool Slots Available', passed: false,
      reason: "Not scheduling since there are 2 open slots in pool 'db' and the task requires 3 pool slots.",
    });
  });
  it('adds back the slots a queued/running instance already holds', () => {
    expect(poolSlotsAvailable(ctx({ ti: { state: 'queued' }, task: { pool_slots: 2 }, pool: { open_slots: 0 } })).passed).to.equal(true);
    expect(poolSlotsAvailable(ctx({ ti: { state: 'scheduled' }, task: { pool_slots: 2 }, pool: { open_slots: 0 } })).passed).to.equal(false);
  });
  it('fails for a missing pool', () => {
    expect(poolSlotsAvailable(ctx({ task: { pool: 'gpu' }, pool: { exists: false, open_slots: 99 } }))).to.deep.equal({
      name: 'Pool Slots Available', passed: false, reason: "Pool 'gpu' does not exist, so it has no open slots.",
    });
  });
});

describe('deps: Task Instance Slots Available (max_active_tasks)', () => {
  it('passes below the limit', () => {
    expect(dagTiSlotsAvailable(ctx({ dag: { active_tasks: 15, max_active_tasks: 16 } }))).to.deep.equal({
      name: 'Task Instance Slots Available', passed: true, reason: "15 of the DAG's 16 task slots (max_active_tasks) are in use.",
    });
  });
  it('fails at the limit', () => {
    expect(dagTiSlotsAvailable(ctx({ dag: { active_tasks: 16, max_active_tasks: 16 } }))).to.deep.equal({
      name: 'Task Instance Slots Available', passed: false,
      reason: "The maximum number of running tasks (16) for this task's DAG has been reached (16 queued or running).",
    });
  });
});

describe('deps: Task Concurrency (max_active_tis_per_dag)', () => {
  it('passes when unset', () => {
    expect(taskConcurrency(ctx({ dag: { active_tis_of_task: 50 } })).reason).to.equal('Task concurrency is not set.');
    expect(taskConcurrency(ctx({ dag: { active_tis_of_task: 50, max_active_tis_per_dag: null } })).passed).to.equal(true);
  });
  it('passes below the limit', () => {
    expect(taskConcurrency(ctx({ dag: { active_tis_of_task: 1, max_active_tis_per_dag: 2 } }))).to.deep.equal({
      name: 'Task Concurrency', passed: true, reason: 'The max task concurrency has not been reached (1 of 2 active).',
    });
  });
  it('fails at the limit', () => {
    expect(taskConcurrency(ctx({ dag: { active_tis_of_task: 2, max_active_tis_per_dag: 2 } }))).to.deep.equal({
      name: 'Task Concurrency', passed: false,
      reason: 'The max task concurrency has been reached (2 of 2 allowed instances of this task are active).',
    });
  });
  it('fails closed when the limit is set but the count is missing', () => {
    const s = taskConcurrency(ctx({ dag: { max_active_tis_per_dag: 1 } }));
    expect(s.passed).to.equal(false);
    expect(s.reason).to.equal('max_active_tis_per_dag is 1 but the number of active instances of this task is unknown.');
  });
});
