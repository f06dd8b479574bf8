/**
 * Durable steps' pure part: Airflow retry settings as a Temporal retry policy, and the
 * attachment recorded on a task instance.
 */
import { expect } from 'chai';
import {
  activityPlan, DEFAULT_STEP_TIMEOUT_MS, formatAttachment, parseAttachment, runWorkflowId, stepWorkflowId,
} from '../../core/durable/plan.ts';

const base = { retries: 0, retry_delay_ms: 300_000, retry_exponential_backoff: false, max_retry_delay_ms: null, execution_timeout_ms: null };

describe('durable plan: retry policy and attachments', () => {
  it('retries + 1 attempts; retry_delay as the interval; no backoff: a fixed interval', () => {
    const p = activityPlan({ ...base, retries: 3, retry_delay_ms: 10_000 }, 5000);
    expect(p.retry).to.deep.equal({ initialIntervalMs: 10_000, backoffCoefficient: 1, maximumIntervalMs: 10_000, maximumAttempts: 4 });
    expect(p.heartbeatTimeoutMs).to.equal(5000);
    expect(p.startToCloseTimeoutMs, 'no execution_timeout: a day per attempt').to.equal(DEFAULT_STEP_TIMEOUT_MS);
  });

  it('exponential backoff doubles up to max_retry_delay (a day when unset); execution_timeout limits each attempt', () => {
    const capped = activityPlan({ ...base, retries: 5, retry_delay_ms: 1000, retry_exponential_backoff: true, max_retry_delay_ms: 8000, execution_timeout_ms: 60_000 }, 10_000);
    expect(capped.retry).to.deep.equal({ initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 8000, maximumAttempts: 6 });
    expect(capped.startToCloseTimeoutMs).to.equal(60_000);
    const uncapped = activityPlan({ ...base, retry_delay_ms: 1000, retry_exponential_backoff: true }, 10_000);
    expect(uncapped.retry.maximumIntervalMs).to.equal(DEFAULT_STEP_TIMEOUT_MS);
  });

  it('a retry_delay of 0 becomes 1 ms (Temporal needs a positive interval); a cap below the delay is raised to it', () => {
    expect(activityPlan({ ...base, retry_delay_ms: 0 }, 1000).retry.initialIntervalMs).to.equal(1);
    expect(activityPlan({ ...base, retry_delay_ms: 5000, retry_exponential_backoff: true, max_retry_delay_ms: 1000 }, 1000).retry.maximumIntervalMs).to.equal(5000);
  });

  it('workflow ids are deterministic from dag, run, task and map index', () => {
    const ti = { dag_id: 'd', run_id: 'manual__2026-01-01T00:00:00+00:00', task_id: 'g.t', map_index: 3 };
    expect(stepWorkflowId(ti)).to.equal('updraft/d/manual__2026-01-01T00:00:00+00:00/g.t/3');
    expect(runWorkflowId(ti)).to.equal('updraft/d/manual__2026-01-01T00:00:00+00:00');
  });

  it('attachments round-trip; anything else reads as none', () => {
    for (const a of [{ mode: 'step', workflowId: 'updraft/d/r/t/-1' }, { mode: 'run', workflowId: 'updraft/d/r|x', updateId: 't/-1/try-2' }] as const) {
      expect(parseAttachment(formatAttachment(a))).to.deep.equal(a);
    }
    expect(parseAttachment(null)).to.equal(null);
    expect(parseAttachment('celery:abc')).to.equal(null);
    expect(parseAttachment('run:no-update-id')).to.equal(null);
  });
});
