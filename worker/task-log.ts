/**
 * A try's log, captured centrally: lines are buffered and written to PostgreSQL in
 * batches (every 250 ms, and at the end of the try), so any machine can read any log
 * and a chatty task costs one insert per batch rather than one per line.
 */
import type { Db } from '../core/db/connect.ts';
import type { TaskLog } from '../core/authoring/context.ts';

const FLUSH_EVERY_MS = 250;
const MAX_BUFFERED = 500;

interface Line { ti_id: number; try_number: number; ts: Date; stream: string; message: string }

export class TaskLogWriter implements TaskLog {
  private buffer: Line[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly db: Db, private readonly tiId: number, private readonly tryNumber: number) {}

  info(message: string): void { this.add('stdout', message); }
  warn(message: string): void { this.add('stderr', message); }
  error(message: string): void { this.add('updraft', message); }
  system(message: string): void { this.add('updraft', message); }

  private add(stream: string, message: string): void {
    this.buffer.push({ ti_id: this.tiId, try_number: this.tryNumber, ts: new Date(), stream, message });
    if (this.buffer.length >= MAX_BUFFERED) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => { this.timer = null; void this.flush(); }, FLUSH_EVERY_MS);
      this.timer.unref();
    }
  }

  /** Write what is buffered; resolves once everything added so far is stored. */
  flush(): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.db('task_log').insert(batch);
      } catch (err) {
        // A log write must never fail the task; say so where an operator will look.
        process.stderr.write(`updraft worker: could not store ${batch.length} log lines of task instance ${this.tiId}: ${String(err)}\n`);
      }
    });
    return this.flushing;
  }
}
