/**
 * The transport to workers: BullMQ queues on Redis, one per Updraft queue name.
 * Redis holds no truth: every job mirrors a `queued` task instance in PostgreSQL,
 * and a lost job is re-added from there.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { taskJobId, type TaskJobData } from './job-id.ts';

export const BULLMQ_QUEUE_PREFIX = 'q';

export function bullQueueName(queue: string): string {
  return `${BULLMQ_QUEUE_PREFIX}.${queue}`;
}

/**
 * A Redis connection for BullMQ. ioredis reconnects by itself; connection errors go to
 * `onError` (once per failure) instead of its "Unhandled error event" warnings.
 */
export function openRedis(url: string, onError: (err: Error) => void = () => undefined): Redis {
  // BullMQ requires maxRetriesPerRequest null for blocking connections.
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
  redis.on('error', onError);
  return redis;
}

/** Fail fast when Redis does not answer: one connection attempt, no retries. */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: timeoutMs });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } finally {
    probe.disconnect();
  }
}

export class TaskQueues {
  private readonly queues = new Map<string, Queue<TaskJobData>>();

  constructor(private readonly connection: Redis, private readonly prefix: string) {}

  private get(queue: string): Queue<TaskJobData> {
    let q = this.queues.get(queue);
    if (!q) {
      q = new Queue<TaskJobData>(bullQueueName(queue), { connection: this.connection, prefix: this.prefix });
      this.queues.set(queue, q);
    }
    return q;
  }

  /** Add one job per task-instance try; already present ids are left as they are. */
  async enqueue(jobs: readonly TaskJobData[]): Promise<void> {
    const byQueue = new Map<string, TaskJobData[]>();
    for (const j of jobs) byQueue.set(j.queue, [...(byQueue.get(j.queue) ?? []), j]);
    await Promise.all([...byQueue].map(([queue, list]) => this.get(queue).addBulk(list.map((data) => ({
      name: data.task_id,
      data,
      // Completed or failed jobs carry no information PostgreSQL does not already
      // have; removing them keeps Redis small.
      opts: { jobId: taskJobId(data), removeOnComplete: true, removeOnFail: true },
    })))));
  }

  /** Whether the job of this try is still in Redis (waiting, active or delayed). */
  async hasJob(job: TaskJobData): Promise<boolean> {
    const found = await this.get(job.queue).getJob(taskJobId(job));
    return found !== undefined && found !== null;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
