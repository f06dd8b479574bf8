/**
 * The scheduler loop. Each pass: create due runs, start queued runs, decide pending
 * task instances, queue what fits the caps, end finished runs. Housekeeping (heartbeat,
 * run timeouts, zombies, lost jobs) runs on a slower beat. The loop never sleeps while
 * a pass found work; idle, it sleeps until notified or the idle interval passes.
 */
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/connect.ts';
import type { Logger } from '../core/logging.ts';
import type { TaskJobData } from '../core/queue/job-id.ts';
import type { TaskQueues } from '../core/queue/task-queue.ts';
import { heartbeatComponent, registerComponent, stopComponent } from '../core/transitions/component.ts';
import { queueScheduled } from '../core/transitions/queue-scheduled.ts';
import { createAssetRuns } from './create-asset-runs.ts';
import { createDueRuns } from './create-due-runs.ts';
import { staleQueuedJobs } from './requeue-lost.ts';
import { failTimedOutRuns } from './run-timeouts.ts';
import { scheduleRunningRuns } from './schedule-running-runs.ts';
import { startQueuedRuns } from './start-queued-runs.ts';
import { Wakeup } from './wakeup.ts';
import { handleZombies } from './zombies.ts';

export interface SchedulerResources { config: Config; db: Db; queues: TaskQueues; log: Logger }

export class Scheduler {
  private running = false;
  private loopDone: Promise<void> | null = null;
  private readonly wakeup = new Wakeup();
  private componentId = '';
  private lastHousekeeping = 0;

  constructor(private readonly r: SchedulerResources) {}

  async start(): Promise<void> {
    this.componentId = await registerComponent(this.r.db, 'scheduler', this.r.config.hostname);
    await this.wakeup.start(this.r.config.databaseUrl);
    this.running = true;
    this.loopDone = this.loop();
    this.r.log.info({ id: this.componentId }, 'scheduler started');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.wakeup.stop();
    await this.loopDone;
    await stopComponent(this.r.db, this.componentId).catch(() => undefined);
    this.r.log.info('scheduler stopped');
  }

  /** One pass; returns how much work it found (0 = idle). Exposed for tests. */
  async runOnce(): Promise<number> {
    const now = new Date();
    let work = 0;
    work += await createDueRuns(this.r.db, now);
    work += await createAssetRuns(this.r.db);
    work += await startQueuedRuns(this.r.db);
    const { decided, finished } = await scheduleRunningRuns(this.r.db, now);
    work += decided + finished.length;
    for (const f of finished) this.r.log.info(f, 'dag run finished');
    const jobs = await this.r.db.transaction((trx) => queueScheduled(trx, { limit: 512 }));
    await this.enqueue(jobs);
    work += jobs.length;
    if (Date.now() - this.lastHousekeeping >= this.r.config.heartbeatIntervalMs) {
      this.lastHousekeeping = Date.now();
      work += await this.housekeeping();
    }
    return work;
  }

  private async housekeeping(): Promise<number> {
    await heartbeatComponent(this.r.db, this.componentId);
    const timedOut = await failTimedOutRuns(this.r.db);
    if (timedOut) this.r.log.warn({ runs: timedOut }, 'dag runs failed by dagrun_timeout');
    const zombies = await handleZombies(this.r.db, this.r.config.zombieThresholdMs);
    if (zombies.count) this.r.log.warn({ count: zombies.count }, 'zombie task instances failed or retried');
    await this.enqueue(zombies.jobs);
    const stale = await staleQueuedJobs(this.r.db, this.r.config.queuedCheckAfterMs);
    // Re-adding is idempotent (deterministic job ids): only truly lost jobs come back.
    await this.enqueue(stale);
    return timedOut + zombies.count;
  }

  private async enqueue(jobs: TaskJobData[]): Promise<void> {
    if (jobs.length) await this.r.queues.enqueue(jobs);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let work = 0;
      try {
        work = await this.runOnce();
      } catch (err) {
        this.r.log.error({ err }, 'scheduler pass failed; retrying');
        await new Promise((res) => setTimeout(res, 500));
      }
      if (work === 0 && this.running) await this.wakeup.sleep(this.r.config.schedulerIdleSleepMs);
    }
  }
}
