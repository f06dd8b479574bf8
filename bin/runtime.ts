/**
 * Opening what a command needs (config, database, Redis), with one clear line when
 * something is unreachable, and closing it all so the process exits by itself.
 */
import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../core/config.ts';
import { checkDatabase, openDatabase, redactUrl, type Db } from '../core/db/connect.ts';
import { UserInputError } from '../core/errors.ts';
import { checkRedis, openRedis, TaskQueues } from '../core/queue/task-queue.ts';

export interface Runtime {
  config: Config;
  db: Db;
  close(): Promise<void>;
}

export interface QueueRuntime extends Runtime {
  redis: Redis;
  queues: TaskQueues;
}

export async function openRuntime(poolMax = 4): Promise<Runtime> {
  const config = loadConfig();
  const db = openDatabase(config.databaseUrl, { poolMax, applicationName: 'updraft-cli' });
  try {
    await checkDatabase(db, config.databaseUrl);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { config, db, close: () => db.destroy() };
}

export async function openQueueRuntime(poolMax = 10): Promise<QueueRuntime> {
  const rt = await openRuntime(poolMax);
  try {
    await checkRedis(rt.config.redisUrl);
  } catch (err) {
    await rt.close();
    throw new UserInputError(`cannot reach Redis at ${redactUrl(rt.config.redisUrl)}: ${(err as Error).message}`);
  }
  let lastReported = 0;
  const redis = openRedis(rt.config.redisUrl, (err) => {
    // Reconnection is automatic; say so at most every 10 s rather than per attempt.
    if (Date.now() - lastReported > 10_000) {
      lastReported = Date.now();
      process.stderr.write(`updraft: Redis connection problem (retrying): ${err.message}\n`);
    }
  });
  const queues = new TaskQueues(redis, rt.config.queuePrefix);
  return {
    ...rt, redis, queues,
    close: async () => { await queues.close(); redis.disconnect(); await rt.close(); },
  };
}

/** Run `fn` with a runtime and always close it. */
export async function withRuntime<T>(fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await openRuntime();
  try { return await fn(rt); } finally { await rt.close(); }
}
