/**
 * The `jsonl` sink: one JSON object per record appended to a file. Per batch: append,
 * fsync, then save the checkpoint {offsets, file_size}. A crash after the fsync but
 * before the checkpoint leaves lines the checkpoint does not cover, so a retry first
 * truncates the file to the checkpointed size: nothing is written twice. The first
 * checkpoint is saved before anything is written, so even a first try that dies before
 * its first batch committed is undone.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TaskContext } from '../../core/authoring/context.ts';
import { NO_HEADERS, RAW_JSON, type RawSinkRecord } from './consume.ts';
import { ownCheckpoint, type ExtractCheckpoint, type Offsets, type Sink } from './sink.ts';

/**
 * One line, the same bytes JSON.stringify(record) gives (same key order) except that a
 * json value is its text as received (see RAW_JSON). Built by hand because serialising
 * 10,000 parsed values per batch again was the sink's main cost.
 */
function lineOf(r: RawSinkRecord, topicJson: string): string {
  const raw = r[RAW_JSON];
  if (raw === undefined) return JSON.stringify(r);
  const h = r.headers === NO_HEADERS ? '{}' : JSON.stringify(r.headers);
  return `{"value":${raw},"key":${r.key === null ? 'null' : JSON.stringify(r.key)},"headers":${h},"timestamp":"${r.timestamp}",`
    + `"topic":${topicJson},"partition":${r.partition},"offset":"${r.offset}"}`;
}

export class JsonlSink implements Sink {
  readonly description: string;
  private size = 0;
  private fd: number | null = null;

  constructor(private readonly file: string, private readonly ctx: TaskContext, private readonly topic: string, private readonly group: string) {
    this.description = `jsonl file ${file}`;
  }

  async open(): Promise<Offsets | null> {
    const cp = ownCheckpoint(await this.ctx.checkpoint.load<ExtractCheckpoint>(), this.topic, this.group);
    fs.mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
    const current = fs.existsSync(this.file) ? fs.statSync(this.file).size : 0;
    if (cp && typeof cp.file_size === 'number') {
      if (current < cp.file_size) throw new Error(`${this.file} is ${current} bytes, shorter than the ${cp.file_size} bytes checkpointed: it was changed outside this task`);
      if (current > cp.file_size) {
        this.ctx.log.info(`truncating ${this.file} from ${current} to the checkpointed ${cp.file_size} bytes (lines of an uncommitted batch)`);
        fs.truncateSync(this.file, cp.file_size);
      }
      this.size = cp.file_size;
    } else {
      this.size = current;
      await this.ctx.checkpoint.save({ topic: this.topic, consumer_group: this.group, offsets: {}, file_size: current } satisfies ExtractCheckpoint);
    }
    this.fd = fs.openSync(this.file, 'a');
    return cp && Object.keys(cp.offsets).length ? cp.offsets : null;
  }

  async write(records: RawSinkRecord[], offsets: Offsets): Promise<void> {
    if (this.fd === null) throw new Error('jsonl sink used before open()');
    if (records.length) {
      const topicJson = JSON.stringify(this.topic);
      let text = '';
      for (const r of records) text += lineOf(r, r.topic === this.topic ? topicJson : JSON.stringify(r.topic)) + '\n';
      const buf = Buffer.from(text, 'utf8');
      // Written synchronously: a batch is one write call, then made durable before the checkpoint.
      for (let at = 0; at < buf.length;) at += fs.writeSync(this.fd, buf, at, buf.length - at);
      fs.fsyncSync(this.fd);
      this.size += buf.length;
    }
    await this.ctx.checkpoint.save({ topic: this.topic, consumer_group: this.group, offsets, file_size: this.size } satisfies ExtractCheckpoint);
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
