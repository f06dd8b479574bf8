import { expect } from 'chai';
import { TASK_STATES, TRIGGER_RULES, type TaskStateOrNone, type TriggerRule } from '../../core/model/states.ts';
import { countUpstream, evaluateTriggerRule, type RuleDecision } from '../../core/rules/index.ts';

type Kind = RuleDecision['kind'];

// Upstream outcome scenarios (states of the direct upstream task instances).
const SCENARIOS = {
  noUpstream: [],
  allSuccess: ['success', 'success', 'success'],
  successAndSkipped: ['success', 'skipped'],
  allSkipped: ['skipped', 'skipped'],
  successAndFailed: ['success', 'failed'],
  successAndUpstreamFailed: ['success', 'upstream_failed'],
  failedAndSkipped: ['failed', 'skipped'],
  allFailedKinds: ['failed', 'upstream_failed'],
  onlyUpstreamFailed: ['upstream_failed', 'upstream_failed'],
  skippedAndUpstreamFailed: ['skipped', 'upstream_failed'],
  successStillRunning: ['success', 'running'],
  failedStillRunning: ['failed', 'running'],
  skippedStillRunning: ['skipped', 'running'],
  nothingFinished: [null, 'queued', 'up_for_retry', 'up_for_reschedule', 'deferred', 'scheduled', 'restarting'],
  successAndRemoved: ['success', 'removed'],
  skippedAndRemoved: ['skipped', 'removed'],
  allRemoved: ['removed', 'removed'],
} satisfies Record<string, TaskStateOrNone[]>;
type Scenario = keyof typeof SCENARIOS;

const r: Kind = 'ready', w: Kind = 'wait', s: Kind = 'skip', u: Kind = 'upstream_failed';

// Expected decision for every rule x scenario, worked out by hand from Airflow's
// trigger_rule_dep.py (removed upstreams: Updraft ignores them, see trigger-rules.ts).
const ALL_DONE: Record<Scenario, Kind> = {
  noUpstream: r, allSuccess: r, successAndSkipped: r, allSkipped: r, successAndFailed: r, successAndUpstreamFailed: r,
  failedAndSkipped: r, allFailedKinds: r, onlyUpstreamFailed: r, skippedAndUpstreamFailed: r, successStillRunning: w,
  failedStillRunning: w, skippedStillRunning: w, nothingFinished: w, successAndRemoved: r, skippedAndRemoved: r, allRemoved: r,
};
const EXPECTED: Record<TriggerRule, Record<Scenario, Kind>> = {
  all_success: {
    noUpstream: r, allSuccess: r, successAndSkipped: s, allSkipped: s, successAndFailed: u, successAndUpstreamFailed: u,
    failedAndSkipped: u, allFailedKinds: u, onlyUpstreamFailed: u, skippedAndUpstreamFailed: u, successStillRunning: w,
    failedStillRunning: u, skippedStillRunning: s, nothingFinished: w, successAndRemoved: r, skippedAndRemoved: s, allRemoved: r,
  },
  all_failed: {
    noUpstream: r, allSuccess: s, successAndSkipped: s, allSkipped: s, successAndFailed: s, successAndUpstreamFailed: s,
    failedAndSkipped: s, allFailedKinds: r, onlyUpstreamFailed: r, skippedAndUpstreamFailed: s, successStillRunning: s,
    failedStillRunning: w, skippedStillRunning: s, nothingFinished: w, successAndRemoved: s, skippedAndRemoved: s, allRemoved: r,
  },
  all_done: ALL_DONE,
  all_done_setup_success: ALL_DONE, // no setup tasks in Updraft: same as all_done
  all_done_min_one_success: {
    noUpstream: r, allSuccess: r, successAndSkipped: s, allSkipped: s, successAndFailed: r, successAndUpstreamFailed: r,
    failedAndSkipped: s, allFailedKinds: u, onlyUpstreamFailed: u, skippedAndUpstreamFailed: s, successStillRunning: w,
    failedStillRunning: w, skippedStillRunning: s, nothingFinished: w, successAndRemoved: r, skippedAndRemoved: s, allRemoved: r,
  },
  one_success: {
    noUpstream: r, allSuccess: r, successAndSkipped: r, allSkipped: s, successAndFailed: r, successAndUpstreamFailed: r,
    failedAndSkipped: u, allFailedKinds: u, onlyUpstreamFailed: u, skippedAndUpstreamFailed: u, successStillRunning: r,
    failedStillRunning: w, skippedStillRunning: w, nothingFinished: w, successAndRemoved: r, skippedAndRemoved: s, allRemoved: r,
  },
  one_failed: {
    noUpstream: r, allSuccess: s, successAndSkipped: s, allSkipped: s, successAndFailed: r, successAndUpstreamFailed: r,
    failedAndSkipped: r, allFailedKinds: r, onlyUpstreamFailed: r, skippedAndUpstreamFailed: r, successStillRunning: w,
    failedStillRunning: r, skippedStillRunning: w, nothingFinished: w, successAndRemoved: s, skippedAndRemoved: s, allRemoved: r,
  },
  one_done: {
    noUpstream: r, allSuccess: r, successAndSkipped: r, allSkipped: s, successAndFailed: r, successAndUpstreamFailed: r,
    failedAndSkipped: r, allFailedKinds: r, onlyUpstreamFailed: s, skippedAndUpstreamFailed: s, successStillRunning: r,
    failedStillRunning: r, skippedStillRunning: w, nothingFinished: w, successAndRemoved: r, skippedAndRemoved: s, allRemoved: r,
  },
  none_failed: {
    noUpstream: r, allSuccess: r, successAndSkipped: r, allSkipped: r, successAndFailed: u, successAndUpstreamFailed: u,
    failedAndSkipped: u, allFailedKinds: u, onlyUpstreamFailed: u, skippedAndUpstreamFailed: u, successStillRunning: w,
    failedStillRunning: u, skippedStillRunning: w, nothingFinished: w, successAndRemoved: r, skippedAndRemoved: r, allRemoved: r,
  },
  none_failed_min_one_success: {
    noUpstream: r, allSuccess: r, successAndSkipped: r, allSkipped: s, successAndFailed: u, successAndUpstreamFailed: u,
    failedAndSkipped: u, allFailedKinds: u, onlyUpstreamFailed: u, skippedAndUpstreamFailed: u, successStillRunning: w,
    failedStillRunning: u, skippedStillRunning: w, nothingFinished: w, successAndRemoved: r, skippedAndRemoved: s, allRemoved: r,
  },
  none_skipped: {
    noUpstream: r, allSuccess: r, successAndSkipped: s, allSkipped: s, successAndFailed: r, successAndUpstreamFailed: r,
    failedAndSkipped: s, allFailedKinds: r, onlyUpstreamFailed: r, skippedAndUpstreamFailed: s, successStillRunning: w,
    failedStillRunning: w, skippedStillRunning: s, nothingFinished: w, successAndRemoved: r, skippedAndRemoved: s, allRemoved: r,
  },
  all_skipped: {
    noUpstream: r, allSuccess: s, successAndSkipped: s, allSkipped: r, successAndFailed: s, successAndUpstreamFailed: s,
    failedAndSkipped: s, allFailedKinds: s, onlyUpstreamFailed: s, skippedAndUpstreamFailed: s, successStillRunning: s,
    failedStillRunning: s, skippedStillRunning: w, nothingFinished: w, successAndRemoved: s, skippedAndRemoved: r, allRemoved: r,
  },
  always: {
    noUpstream: r, allSuccess: r, successAndSkipped: r, allSkipped: r, successAndFailed: r, successAndUpstreamFailed: r,
    failedAndSkipped: r, allFailedKinds: r, onlyUpstreamFailed: r, skippedAndUpstreamFailed: r, successStillRunning: r,
    failedStillRunning: r, skippedStillRunning: r, nothingFinished: r, successAndRemoved: r, skippedAndRemoved: r, allRemoved: r,
  },
};

function decide(rule: TriggerRule, states: readonly TaskStateOrNone[]): RuleDecision {
  return evaluateTriggerRule(rule, countUpstream(states));
}

describe('countUpstream', () => {
  it('counts each finished state and leaves unfinished ones in total only', () => {
    const c = countUpstream([...TASK_STATES, null]);
    expect(c).to.deep.equal({ total: 13, success: 1, skipped: 1, failed: 1, upstream_failed: 1, removed: 1, done: 5 });
  });

  it('counts repeated states', () => {
    expect(countUpstream(['success', 'success', 'skipped', 'running', null])).to.deep.equal(
      { total: 5, success: 2, skipped: 1, failed: 0, upstream_failed: 0, removed: 0, done: 3 },
    );
  });

  it('is all zero for no upstream', () => {
    expect(countUpstream([])).to.deep.equal({ total: 0, success: 0, skipped: 0, failed: 0, upstream_failed: 0, removed: 0, done: 0 });
  });
});

describe('evaluateTriggerRule table', () => {
  it('has an expectation row for every trigger rule', () => {
    expect(Object.keys(EXPECTED).sort()).to.deep.equal([...TRIGGER_RULES].sort());
  });

  for (const rule of TRIGGER_RULES) {
    describe(rule, () => {
      for (const [scenario, states] of Object.entries(SCENARIOS) as Array<[Scenario, TaskStateOrNone[]]>) {
        const expected = EXPECTED[rule][scenario];
        it(`${scenario} [${states.map((x) => x ?? 'none').join(', ')}] -> ${expected}`, () => {
          const d = decide(rule, states);
          expect(d.kind).to.equal(expected);
          // Every non-ready decision explains itself, naming the rule.
          if (d.kind !== 'ready') expect(d.reason).to.be.a('string').and.to.include(rule);
        });
      }
    });
  }
});

describe('evaluateTriggerRule reasons and edge cases', () => {
  it('explains a wait with the counts', () => {
    expect(decide('all_success', ['success', 'success', 'running'])).to.deep.equal({
      kind: 'wait',
      reason: 'all_success requires all 3 upstream tasks to succeed; 1 still running/not done (done=2)',
    });
  });

  it('all_success: a failure wins over a skip (upstream_failed, not skipped)', () => {
    const d = decide('all_success', ['skipped', 'failed', 'success']);
    expect(d.kind).to.equal('upstream_failed');
    expect(d.kind !== 'ready' && d.reason).to.equal(
      'all_success requires all 3 upstream tasks to succeed; 1 failed, so it can never be met: the task is upstream_failed',
    );
  });

  it('all_success: a skip cascades as soon as it happens, without waiting for the rest', () => {
    const d = decide('all_success', ['skipped', 'running', null]);
    expect(d.kind).to.equal('skip');
    expect(d.kind !== 'ready' && d.reason).to.include('1 skipped');
  });

  it('one_success and one_failed fire without waiting for the rest', () => {
    expect(decide('one_success', ['success', null, 'running', 'failed']).kind).to.equal('ready');
    expect(decide('one_failed', ['upstream_failed', null, 'running']).kind).to.equal('ready');
  });

  it('one_success with all done and no success: skip only when every upstream skipped', () => {
    expect(decide('one_success', ['skipped', 'skipped', 'skipped']).kind).to.equal('skip');
    const d = decide('one_success', ['skipped', 'failed', 'skipped']);
    expect(d.kind).to.equal('upstream_failed');
    expect(d.kind !== 'ready' && d.reason).to.include('none succeeded (1 failed and 2 skipped)');
  });

  it('one_success waiting says none has succeeded yet', () => {
    const d = decide('one_success', ['failed', 'running']);
    expect(d).to.deep.equal({
      kind: 'wait',
      reason: 'one_success requires at least one of its 2 upstream tasks to succeed; none has succeeded yet; 1 still running/not done (done=1)',
    });
  });

  it('one_done does not count upstream_failed or skipped as done', () => {
    expect(decide('one_done', ['upstream_failed', 'running']).kind).to.equal('wait');
    expect(decide('one_done', ['upstream_failed', 'skipped']).kind).to.equal('skip');
    expect(decide('one_done', ['failed', 'running']).kind).to.equal('ready');
  });

  it('always is ready even when nothing upstream finished', () => {
    expect(decide('always', [null, 'running'])).to.deep.equal({ kind: 'ready' });
  });

  it('zero upstreams is ready for every rule', () => {
    for (const rule of TRIGGER_RULES) expect(decide(rule, []).kind, rule).to.equal('ready');
  });

  it('a single upstream reads naturally', () => {
    const d = decide('all_success', ['running']);
    expect(d.kind !== 'ready' && d.reason).to.equal('all_success requires its 1 upstream task to succeed; 1 still running/not done (done=0)');
  });

  it('mentions ignored removed upstreams', () => {
    const d = decide('all_success', ['removed', 'running']);
    expect(d.kind).to.equal('wait');
    expect(d.kind !== 'ready' && d.reason).to.include('(1 removed upstream task ignored)');
  });

  it('none_failed_min_one_success waits while a sibling runs even if others were skipped', () => {
    expect(decide('none_failed_min_one_success', ['skipped', 'running']).kind).to.equal('wait');
    expect(decide('none_failed_min_one_success', ['skipped', 'success']).kind).to.equal('ready');
  });

  it('all_done_min_one_success needs every upstream done and one success', () => {
    expect(decide('all_done_min_one_success', ['failed', 'success', 'upstream_failed']).kind).to.equal('ready');
    expect(decide('all_done_min_one_success', ['success', 'running']).kind).to.equal('wait');
    expect(decide('all_done_min_one_success', ['failed', 'failed']).kind).to.equal('upstream_failed');
  });
});
