/**
 * Refill after a finish that found the DAG's cap lock busy: one blocking
 * `queueScheduled` per DAG, off the task's path, coalesced so that however many tasks
 * ask at once, at most one refill runs and one more follows (to count slots freed
 * while the first was counting).
 */
import type { Db } from '../core/db/connect.ts';
import type { DagSpec } from '../core/dag/spec.ts';
import type { Logger } from '../core/logging.ts';
import { dagPools } from '../core/transitions/finish-ti.ts';
import { queueScheduled } from '../core/transitions/queue-scheduled.ts';
import type { JobSink } from './run-try.ts';

const REFILL_LIMIT = 128;

export class Refiller {
  /** Per DAG: "running" while a refill runs, "again" when another was asked for meanwhile. */
  private readonly state = new Map<string, 'running' | 'again'>();

  constructor(private readonly db: Db, private readonly sink: JobSink, private readonly log: Logger) {}

  request(spec: DagSpec): void {
    const current = this.state.get(spec.dag_id);
    if (current) { this.state.set(spec.dag_id, 'again'); return; }
    this.state.set(spec.dag_id, 'running');
    void this.run(spec);
  }

  private async run(spec: DagSpec): Promise<void> {
    try {
      const jobs = await this.db.transaction((trx) => queueScheduled(trx, { dagId: spec.dag_id, pools: dagPools(spec), limit: REFILL_LIMIT }));
      if (jobs.length) await this.sink.enqueue(jobs);
    } catch (err) {
      this.log.warn({ err, dag_id: spec.dag_id }, 'refill failed; the scheduler will queue these tasks');
    }
    if (this.state.get(spec.dag_id) === 'again') {
      this.state.set(spec.dag_id, 'running');
      void this.run(spec);
    } else {
      this.state.delete(spec.dag_id);
    }
  }
}
