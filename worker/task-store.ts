/**
 * The two database calls a try makes, start and finish, batched across the worker's
 * concurrent tries (see batcher.ts). A batch that fails is retried item by item, so one
 * bad item cannot fail its neighbours. Finishes with downstream tasks to decide are sent
 * alone: they lock other rows, and alone they cannot deadlock with another batch.
 */
import type { Db } from '../core/db/connect.ts';
import { finishMany, type FinishResult, type PreparedFinish } from '../core/transitions/finish-ti.ts';
import { startTaskInstances, type StartRequest, type StartedTask, type WorkerIdentity } from '../core/transitions/start-ti.ts';
import { Batcher } from './batcher.ts';

export interface TaskStore {
  start(req: StartRequest): Promise<StartedTask | null>;
  finish(p: PreparedFinish): Promise<FinishResult>;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function unwrap<T>(s: Settled<T>): T {
  if (s.ok) return s.value;
  throw s.error;
}

async function eachAlone<I, O>(items: I[], one: (i: I) => Promise<O>): Promise<Array<Settled<O>>> {
  return Promise.all(items.map((i) => one(i).then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }))));
}

async function batchOrAlone<I, O>(items: I[], many: (is: I[]) => Promise<O[]>): Promise<Array<Settled<O>>> {
  try {
    return (await many(items)).map((value) => ({ ok: true as const, value }));
  } catch (err) {
    if (items.length === 1) return [{ ok: false, error: err }];
    return eachAlone(items, async (i) => (await many([i]))[0]!);
  }
}

export function batchingTaskStore(db: Db, who: WorkerIdentity): TaskStore {
  const starts = new Batcher<StartRequest, Settled<StartedTask | null>>(
    (reqs) => batchOrAlone(reqs, (rs) => startTaskInstances(db, rs, who)));
  const finishes = new Batcher<PreparedFinish, Settled<FinishResult>>(
    (ps) => batchOrAlone(ps, (xs) => finishMany(db, xs)));
  return {
    start: async (req) => unwrap(await starts.submit(req)),
    finish: async (p) => (p.hasDownstream ? (await finishMany(db, [p]))[0]! : unwrap(await finishes.submit(p))),
  };
}

/** One call per request: for the foreground runner and anything not under load. */
export function directTaskStore(db: Db, who: WorkerIdentity): TaskStore {
  return {
    start: async (req) => (await startTaskInstances(db, [req], who))[0] ?? null,
    finish: async (p) => (await finishMany(db, [p]))[0]!,
  };
}
