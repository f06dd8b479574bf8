/**
 * The `jsonl` sink: one JSON object per record appended to a file. Per batch, in one
 * transaction on the metadata database: lock the group's offsets of the batch's
 * partitions (group-offsets.ts), append, fdatasync, raise the group's offsets, save the
 * checkpoint {offsets, file_size}. A crash after the fdatasync but before the commit
 * leaves lines the checkpoint does not cover, so a retry first truncates the file to the
 * checkpointed size: nothing is written twice. The first checkpoint is saved before
 * anything is written, so even a first try that dies before its first batch committed is
 * undone. Records another instance of the group wrote since (the group's offset is past
 * them) are left out; each instance needs its own file (a retry truncates it).
 * The lines arrive already written as bytes (jsonl-lines.ts, by the decoder). File I/O
 * is asynchronous and overlaps the decoding of the next batches; a batch's lines are
 * appended (stage) while the batch before it still commits (committer.ts), so a commit
 * waits only for the fdatasync and the transaction.
 */
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { TaskContext } from '../../core/authoring/context.ts';
import { GroupOffsets } from './group-offsets.ts';
import { linesAbove, LineWriter } from './jsonl-lines.ts';
import { ownCheckpoint, raiseOffsets, readOnMetadata, type ExtractCheckpoint, type LineChunk, type Offsets, type Sink, type SinkBatch } from './sink.ts';
import { knexRun } from './sql-run.ts';

/** Thrown inside a batch's transaction (rolling it back) when the group's offsets moved past records of the batch. */
class Overtaken extends Error {
  constructor(readonly covered: Offsets) { super('the group\'s offsets moved past this batch'); }
}

/** The batch's lines that `covered` (the group's offsets) does not cover yet, and how many lines it does. */
function uncovered(chunks: readonly LineChunk[], covered: Offsets): { bufs: Buffer[]; dropped: number } {
  const bufs: Buffer[] = [];
  let dropped = 0;
  for (const c of chunks) {
    const floor = covered[String(c.partition)];
    // Offsets ascend within a chunk: usually all of it is above the floor (no parsing).
    if (floor === undefined || BigInt(c.first) > BigInt(floor)) bufs.push(c.bytes);
    else if (BigInt(c.last) <= BigInt(floor)) dropped += c.lines;
    else {
      const { kept, dropped: n } = linesAbove(c.bytes, BigInt(floor));
      bufs.push(kept);
      dropped += n;
    }
  }
  return { bufs, dropped };
}

export class JsonlSink implements Sink {
  readonly description: string;
  readonly jsonLines = true;
  private size = 0;
  private file: FileHandle | null = null;
  private saved: ExtractCheckpoint;
  private readonly group_: GroupOffsets;
  /** The group's offsets last seen (at an assignment or a batch): lines at or below are left out before writing. */
  private covered: Offsets = {};
  /** The file's size with the staged lines (`size` is what the checkpoint covers). */
  private end = 0;
  /** Batches appended but not committed yet, in commit order. */
  private staged: Array<{ batch: SinkBatch; chunks: LineChunk[]; dropped: number; end: number }> = [];
  private fileOps: Promise<void> = Promise.resolve();

  constructor(private readonly path: string, private readonly ctx: TaskContext, private readonly topic: string, private readonly group: string) {
    this.description = `jsonl file ${path}`;
    this.saved = { topic, consumer_group: group, offsets: {}, file_size: 0 };
    this.group_ = new GroupOffsets('kafka_group_offsets', group, topic);
  }

  async open(): Promise<Offsets | null> {
    const cp = ownCheckpoint(await this.ctx.checkpoint.load<ExtractCheckpoint>(), this.topic, this.group);
    fs.mkdirSync(path.dirname(path.resolve(this.path)), { recursive: true });
    const current = fs.existsSync(this.path) ? fs.statSync(this.path).size : 0;
    if (cp && typeof cp.file_size === 'number') {
      if (current < cp.file_size) throw new Error(`${this.path} is ${current} bytes, shorter than the ${cp.file_size} bytes checkpointed: it was changed outside this task`);
      if (current > cp.file_size) {
        this.ctx.log.info(`truncating ${this.path} from ${current} to the checkpointed ${cp.file_size} bytes (lines of an uncommitted batch)`);
        fs.truncateSync(this.path, cp.file_size);
      }
      this.size = cp.file_size;
      this.saved = cp;
    } else {
      this.size = current;
      this.saved = { topic: this.topic, consumer_group: this.group, offsets: {}, file_size: current };
      await this.ctx.checkpoint.save(this.saved);
    }
    this.end = this.size;
    this.file = await fs.promises.open(this.path, 'a');
    return cp && Object.keys(cp.offsets).length ? cp.offsets : null;
  }

  async groupOffsets(partitions: readonly number[] | null): Promise<Offsets> {
    const found = await readOnMetadata(this.ctx, this.saved, (run) => this.group_.read(run, partitions));
    raiseOffsets(this.covered, found);
    return found;
  }

  /**
   * Appends the batch's lines (those the group's offsets known now do not cover) while
   * the previous batch commits; write() makes them durable and checkpoints them. Lines
   * appended but never checkpointed are cut off by a retry's open().
   */
  async stage(batch: SinkBatch): Promise<void> {
    const file = this.file;
    if (!file) throw new Error('jsonl sink used before open()');
    const chunks = [...batch.lines, ...this.linesOf(batch.records)];
    await this.fileTurn(() => this.append(file, batch, chunks));
  }

  async write(batch: SinkBatch, offsets: Offsets, advanced: Offsets): Promise<number> {
    const file = this.file;
    if (!file) throw new Error('jsonl sink used before open()');
    const partitions = Object.keys(advanced).map(Number);
    for (;;) {
      if (this.staged[0]?.batch !== batch) {
        // Not staged (or un-staged by an overtaken write): append it now, unless a later batch already was.
        if (this.staged.length) throw new Error('jsonl sink: batches written out of order (a batch was staged before an earlier one)');
        await this.stage(batch);
      }
      const staged = this.staged[0]!;
      const value: ExtractCheckpoint = { topic: this.topic, consumer_group: this.group, offsets, file_size: staged.end };
      // fdatasync: the data and the file's new size (needed to read it back) are durable
      // before the checkpoint says so. It runs while the transaction starts and locks.
      const synced = staged.end > this.size ? file.datasync() : Promise.resolve();
      synced.catch(() => undefined); // awaited in the transaction, or moot once it failed
      try {
        await this.ctx.checkpoint.commitWith(value, async (trx) => {
          const run = knexRun(trx);
          // Another instance wrote some of these since we last looked: start over without them.
          const group = await this.group_.lock(run, partitions);
          if (uncovered(staged.chunks, group).dropped !== staged.dropped) throw new Overtaken(group);
          await synced;
          await this.group_.advance(run, advanced);
        });
      } catch (err) {
        if (!(err instanceof Overtaken)) throw err;
        raiseOffsets(this.covered, err.covered);
        // Cut back to what is committed and append this batch's lines again, without the
        // covered ones, in one turn (a batch staged meanwhile must not come first); batches
        // staged after it are appended again by their own write().
        await this.fileTurn(async () => {
          await file.truncate(this.size);
          this.end = this.size;
          this.staged = [];
          await this.append(file, batch, staged.chunks);
        });
        continue;
      }
      this.staged.shift();
      this.group_.committed(advanced);
      this.size = staged.end;
      this.saved = value;
      raiseOffsets(this.covered, advanced);
      return staged.dropped;
    }
  }

  /** Appends a batch's lines that `covered` does not cover; call inside a fileTurn. */
  private async append(file: FileHandle, batch: SinkBatch, chunks: LineChunk[]): Promise<void> {
    const { bufs, dropped } = uncovered(chunks, this.covered);
    const length = bufs.reduce((n, b) => n + b.length, 0);
    await writeAll(file, bufs);
    this.staged.push({ batch, chunks, dropped, end: this.end + length });
    this.end += length;
  }

  /** File appends and truncations, one at a time and in call order. */
  private fileTurn(op: () => Promise<void>): Promise<void> {
    const next = this.fileOps.then(op);
    this.fileOps = next.catch(() => undefined);
    return next;
  }

  /** Records handed over as objects (a sink of lines normally gets none): as line chunks, one per partition. */
  private linesOf(records: SinkBatch['records']): LineChunk[] {
    const byPartition = new Map<number, typeof records>();
    for (const r of records) {
      const list = byPartition.get(r.partition);
      if (list) list.push(r); else byPartition.set(r.partition, [r]);
    }
    return [...byPartition].map(([partition, rs]) => {
      const w = new LineWriter(rs.length * 256);
      for (const r of rs) w.record(r);
      return { partition, first: rs[0]!.offset, last: rs[rs.length - 1]!.offset, bytes: w.done(), lines: w.lines };
    });
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = null;
    await file?.close();
  }
}

/** Appends the buffers (one writev call for most batches). */
async function writeAll(file: FileHandle, bufs: Buffer[]): Promise<void> {
  let rest = bufs.filter((b) => b.length);
  while (rest.length) {
    let { bytesWritten } = await file.writev(rest);
    // A short write (rare): go on from where it stopped.
    while (rest.length && bytesWritten >= rest[0]!.length) { bytesWritten -= rest[0]!.length; rest = rest.slice(1); }
    if (rest.length && bytesWritten) rest = [rest[0]!.subarray(bytesWritten), ...rest.slice(1)];
  }
}
