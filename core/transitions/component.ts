/**
 * Component heartbeats (scheduler, worker, dag-processor). A worker's running tasks
 * live as long as its heartbeat: one row update per interval covers all of them, so
 * the hot path writes no per-task heartbeat.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/connect.ts';

export type ComponentKind = 'scheduler' | 'worker' | 'dag-processor';

export async function registerComponent(db: Db, kind: ComponentKind, hostname: string, info: Record<string, unknown> = {}): Promise<string> {
  const id = `${kind}-${hostname}-${process.pid}-${randomBytes(3).toString('hex')}`;
  await db('component').insert({ id, kind, hostname, pid: process.pid, state: 'running', info: JSON.stringify(info) });
  return id;
}

export async function heartbeatComponent(db: Db, id: string): Promise<void> {
  await db.raw(`update component set heartbeat_at = now() where id = ?`, [id]);
}

export async function stopComponent(db: Db, id: string): Promise<void> {
  await db.raw(`update component set state = 'stopped', stopped_at = now(), heartbeat_at = now() where id = ?`, [id]);
}
