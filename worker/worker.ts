/**
 * `updraft worker`: BullMQ workers (one per queue name) running task-instance tries.
 * A heartbeat keeps this worker's running tasks alive in the scheduler's eyes and
 * notices tasks changed from outside (cleared, run timed out) to abort them. On stop,
 * it takes no new work, lets running tasks finish within the grace period, then hands
 * the rest back so another worker runs them: nothing is lost.
 */
import { Worker as BullWorker } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullQueueName } from '../core/queue/task-queue.ts';
import type { TaskJobData } from '../core/queue/job-id.ts';
import { heartbeatComponent, registerComponent, stopComponent } from '../core/transitions/component.ts';
import { rows } from '../core/transitions/sql.ts';
import { ExternallyChanged, HandBack } from './abort.ts';
import { Refiller } from './refill.ts';
import { batchingTaskStore } from './task-store.ts';
import { DurableRuntime } from './durable/runtime.ts';
import { runTry, type ActiveTasks, type WorkerResources } from './run-try.ts';

export interface WorkerOptions {
  queues: string[];
  concurrency: number;
  /** How long running tasks may take to finish on stop before they are handed back. */
  shutdownGraceMs: number;
  /**
   * Durable steps: connect to Temporal (config.temporalAddress) and serve the durable
   * task queue's activities next to the BullMQ queues (default true; false: durable
   * tasks fail on this worker, saying so).
   */
  temporal?: boolean;
}

export class Worker {
  private readonly active: ActiveTasks = new Map();
  private bullWorkers: BullWorker<TaskJobData>[] = [];
  private heartbeat: NodeJS.Timeout | null = null;
  private resources: WorkerResources | null = null;
  private stopping = false;

  constructor(
    private readonly base: Omit<WorkerResources, 'identity'>,
    private readonly redis: Redis,
    private readonly opts: WorkerOptions,
  ) {}

  get id(): string { return this.resources?.identity.workerId ?? ''; }

  async start(): Promise<void> {
    const { config, db } = this.base;
    const workerId = await registerComponent(db, 'worker', config.hostname, { queues: this.opts.queues, concurrency: this.opts.concurrency });
    const r: WorkerResources = {
      ...this.base, identity: { workerId, hostname: config.hostname, pid: process.pid },
      refill: new Refiller(db, this.base.queues, this.base.log),
      store: batchingTaskStore(db, { workerId, hostname: config.hostname, pid: process.pid }),
    };
    if (this.opts.temporal !== false) {
      r.temporal = new DurableRuntime({
        address: config.temporalAddress, namespace: config.temporalNamespace, taskQueue: config.temporalTaskQueue,
        heartbeatTimeoutMs: config.temporalHeartbeatTimeoutMs,
      }, { config, db, log: r.log, workerId, concurrency: this.opts.concurrency });
      r.temporal.start();
    }
    this.resources = r;
    this.heartbeat = setInterval(() => void this.beat(), config.heartbeatIntervalMs);
    this.bullWorkers = this.opts.queues.map((queue) => {
      const w = new BullWorker<TaskJobData>(bullQueueName(queue), async (job) => {
        try {
          await runTry(r, job.data, this.active);
        } catch (err) {
          // Infrastructure trouble (database unreachable): the scheduler's zombie and
          // lost-job checks recover the task instance; here we only report it.
          r.log.error({ err, job: job.id }, 'task try could not be completed');
        }
      }, { connection: this.redis, prefix: config.queuePrefix, concurrency: this.opts.concurrency, autorun: true });
      w.on('error', (err) => r.log.error({ err }, 'queue connection error'));
      return w;
    });
    r.log.info({ id: workerId, queues: this.opts.queues, concurrency: this.opts.concurrency }, 'worker started');
  }

  private async beat(): Promise<void> {
    const r = this.resources;
    if (!r) return;
    try {
      await heartbeatComponent(r.db, r.identity.workerId);
      if (this.active.size === 0) return;
      const changed = await rows<{ id: number; state: string | null }>(r.db, `
        select id, state from task_instance where id = any(?) and (state is distinct from 'running' or worker_id is distinct from ?)`,
      [[...this.active.keys()], r.identity.workerId]);
      for (const c of changed) {
        this.active.get(c.id)?.controller.abort(new ExternallyChanged(`task instance state was changed to ${c.state ?? 'none'} from outside; stopping`));
      }
    } catch (err) {
      r.log.warn({ err }, 'heartbeat failed');
    }
  }

  async stop(): Promise<void> {
    const r = this.resources;
    if (!r || this.stopping) return;
    // Keep heartbeating while running tasks finish: a silent worker's tasks are zombies.
    this.stopping = true;
    r.log.info({ running: this.active.size, graceMs: this.opts.shutdownGraceMs }, 'worker stopping: no new tasks');
    const closing = Promise.all(this.bullWorkers.map((w) => w.close()));
    const grace = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), this.opts.shutdownGraceMs).unref());
    if ((await Promise.race([closing.then(() => 'done' as const), grace])) === 'timeout') {
      r.log.warn({ count: this.active.size }, 'grace period over: handing running tasks back');
      for (const t of this.active.values()) t.controller.abort(new HandBack('worker stopped before the task finished'));
      await closing;
    }
    if (this.heartbeat) clearInterval(this.heartbeat);
    await r.temporal?.stop();
    this.resources = null;
    await stopComponent(r.db, r.identity.workerId).catch(() => undefined);
    r.log.info('worker stopped');
  }
}
