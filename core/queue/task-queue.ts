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

export function openRedis(url: string): Redis {
  // BullMQ requires maxRetriesPerRequest null for blocking connections.
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
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
