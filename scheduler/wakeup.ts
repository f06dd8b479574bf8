/**
 * LISTEN/NOTIFY wake-up: a manual trigger or a new DAG notifies `updraft_scheduler`,
 * so an idle scheduler reacts in milliseconds instead of at its next tick.
 */
import pg from 'pg';

import { SCHEDULER_CHANNEL } from '../core/transitions/notify.ts';

export { SCHEDULER_CHANNEL };

export class Wakeup {
  private client: pg.Client | null = null;
  private waiter: (() => void) | null = null;
  private pending = false;

  async start(databaseUrl: string): Promise<void> {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: 'updraft-scheduler-listen' });
    await client.connect();
    client.on('notification', () => this.wake());
    // A lost LISTEN connection only costs latency (the loop still ticks), never correctness.
    client.on('error', () => { this.client = null; });
    await client.query(`listen ${SCHEDULER_CHANNEL}`);
    this.client = client;
  }

  wake(): void {
    this.pending = true;
    this.waiter?.();
  }

  /** Sleep up to `ms`, returning early when notified. */
  async sleep(ms: number): Promise<void> {
    if (this.pending) { this.pending = false; return; }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() { clearTimeout(timer); self.waiter = null; resolve(); }
      this.waiter = done;
    });
    this.pending = false;
  }

  async stop(): Promise<void> {
    this.wake();
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}
