/**
 * Live updates for the UI as Server-Sent Events: while anyone listens, one poller per
 * api-server reads the dag_run and task_instance rows changed since its last look
 * (updated_at), and the DAG list's signature (DAGs, pause flags, import errors), about
 * once a second, and pushes small messages to every open stream. Polling the database
 * keeps PostgreSQL the single source of truth: it works whichever process changed the
 * row, with any number of api-servers. Task instances are looked for only in unfinished
 * or just-changed runs (any change to a finished run's task, such as a clear, touches its
 * run too), so the poll does not scan the whole task_instance table.
 */
import type { Request, Response } from 'express';
import { rows } from '../../core/transitions/sql.ts';
import type { WebResources } from '../resources.ts';

export const POLL_MS = 1000;
/** Rows are re-read this far back: a transaction stamps updated_at when it starts, and may commit later. */
const OVERLAP_MS = 5000;

export type UiEvent =
  | { type: 'run'; dag_id: string; run_id: string; state: string }
  | { type: 'ti'; dag_id: string; run_id: string; task_id: string; map_index: number; state: string | null; try_number: number }
  | { type: 'dags' };

export class UiEvents {
  private readonly clients = new Set<Response>();
  private timer: NodeJS.Timeout | null = null;
  private since: Date | null = null;
  private readonly seen = new Map<string, number>();
  private dagsSignature = '';
  private polling = false;

  constructor(private readonly r: WebResources, private readonly pollMs = POLL_MS) {}

  subscribe(req: Request, res: Response): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 2000\n: connected\n\n`);
    this.clients.add(res);
    req.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0 && this.timer) { clearInterval(this.timer); this.timer = null; this.since = null; }
    });
    this.timer ??= setInterval(() => { void this.poll(); }, this.pollMs);
  }

  private send(events: UiEvent[]): void {
    if (events.length === 0) return;
    const frame = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('');
    for (const c of this.clients) c.write(frame);
  }

  async poll(): Promise<void> {
    if (this.polling) return; // a slow database must not pile up polls
    this.polling = true;
    try {
      const [{ now }] = await rows<{ now: Date }>(this.r.db, 'select clock_timestamp() as now') as [{ now: Date }];
      const from = this.since ? new Date(this.since.getTime() - OVERLAP_MS) : now;
      const first = this.since === null;
      this.since = now;
      const events: UiEvent[] = [];
      const signature = await this.dagsNow();
      if (!first && signature !== this.dagsSignature) events.push({ type: 'dags' });
      this.dagsSignature = signature;
      if (!first) {
        const runs = await rows<{ dag_id: string; run_id: string; state: string; updated_at: Date }>(this.r.db,
          'select dag_id, run_id, state, updated_at from dag_run where updated_at > ? order by updated_at limit 500', [from]);
        for (const x of runs) if (this.fresh(`r:${x.dag_id}:${x.run_id}`, x.updated_at)) events.push({ type: 'run', dag_id: x.dag_id, run_id: x.run_id, state: x.state });
        const tis = await rows<{ dag_id: string; run_id: string; task_id: string; map_index: number; state: string | null; try_number: number; updated_at: Date }>(this.r.db, `
          select dag_id, run_id, task_id, map_index, state, try_number, updated_at from task_instance
          where dag_run_id in (select id from dag_run where state in ('queued', 'running') or updated_at > ?)
            and updated_at > ? order by updated_at limit 2000`, [from, from]);
        for (const t of tis) {
          if (this.fresh(`t:${t.dag_id}:${t.run_id}:${t.task_id}:${t.map_index}`, t.updated_at)) {
            events.push({ type: 'ti', dag_id: t.dag_id, run_id: t.run_id, task_id: t.task_id, map_index: t.map_index, state: t.state, try_number: t.try_number });
          }
        }
      }
      this.forgetOlderThan(from.getTime());
      this.send(events);
      // Comments keep proxies and idle-timeouts from closing a quiet stream.
      for (const c of this.clients) c.write(': ping\n\n');
    } catch (err) {
      this.r.log.warn({ err }, 'ui events: poll failed');
    } finally {
      this.polling = false;
    }
  }

  /** True once per row version: the overlap re-reads rows already sent. */
  private fresh(key: string, updatedAt: Date): boolean {
    const t = updatedAt.getTime();
    if ((this.seen.get(key) ?? -1) >= t) return false;
    this.seen.set(key, t);
    return true;
  }

  private forgetOlderThan(ms: number): void {
    for (const [k, t] of this.seen) if (t < ms - OVERLAP_MS) this.seen.delete(k);
  }

  private async dagsNow(): Promise<string> {
    const [s] = await rows<{ sig: string }>(this.r.db, `
      select concat_ws('|', (select count(*) from dag where is_active), (select count(*) from dag where is_active and is_paused),
        (select max(latest_version_id) from dag), (select count(*) from import_error), (select max(timestamp) from import_error)) as sig`);
    return s?.sig ?? '';
  }
}
