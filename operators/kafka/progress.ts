/**
 * The extract's summary (its XCom) and the `kafka_progress` XCom pushed while it runs.
 * A progress write never holds the consumer up: while one write is in flight, later
 * calls only mark that the newest summary must follow it, so at most one is queued.
 */
import type { TaskLog } from '../../core/authoring/context.ts';

export interface ExtractSummary {
  batches: number; records: number; bytes: number; dlq: number; lag: Record<string, number>; duration_s: number;
}

/** The summary so far plus the partitions this consumer holds now (they move at rebalances). */
export interface ExtractProgress extends ExtractSummary { partitions: number[]; running: boolean }

export class ProgressPusher {
  readonly summary: ExtractSummary = { batches: 0, records: 0, bytes: 0, dlq: 0, lag: {}, duration_s: 0 };
  private pushing: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly began: number,
    private readonly partitions: () => number[],
    private readonly log: TaskLog,
    private readonly push?: (progress: ExtractProgress) => Promise<void>,
  ) {}

  seconds(): number { return Math.round((Date.now() - this.began) / 10) / 100; }

  snapshot(running: boolean): ExtractProgress {
    const s = this.summary;
    return { ...s, lag: { ...s.lag }, duration_s: this.seconds(), partitions: [...this.partitions()].sort((a, b) => a - b), running };
  }

  /** Push the summary so far (coalesced with a write in flight); errors are only logged. */
  update(): void {
    if (!this.push) return;
    if (this.pushing) { this.again = true; return; }
    const push = this.push;
    this.pushing = push(this.snapshot(true))
      .catch((err: Error) => this.log.warn(`writing the progress XCom failed: ${err.message}`))
      .finally(() => { this.pushing = null; if (this.again) { this.again = false; this.update(); } });
  }

  /** After the last batch: wait for the writes in flight, then write the final one (`running: false`). */
  async finish(): Promise<void> {
    this.again = false;
    while (this.pushing) await this.pushing;
    if (this.push) await this.push(this.snapshot(false)).catch((err: Error) => this.log.warn(`writing the progress XCom failed: ${err.message}`));
  }
}
