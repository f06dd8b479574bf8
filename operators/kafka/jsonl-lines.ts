/**
 * The jsonl sink's lines, written as bytes while records are decoded (records.ts), so a
 * micro-batch waiting for its commit is a few Buffers instead of thousands of objects
 * and strings (on the hot path those were most of the garbage collection) and the commit
 * writes them as they are. One line per record:
 *   {"value":V,"key":K,"headers":H,"timestamp":"T","topic":P,"partition":N,"offset":"O"}
 * the bytes JSON.stringify(record) gives (SinkRecord's key order), except that a json
 * value V is its bytes as received (already checked to be valid JSON on one line).
 */
import { NO_HEADERS, type SinkRecord } from './sink.ts';

const VALUE_KEY = '{"value":';
const PREFIX = Buffer.from(VALUE_KEY, 'latin1');
const KEY_OPEN = Buffer.from(',"key":"', 'latin1');
const KEY_NULL = Buffer.from(',"key":null', 'latin1');
const END = Buffer.from(`"}\n${VALUE_KEY}`, 'latin1');

/** Printable ASCII without quote or backslash: as a JSON string it needs no escaping, and its bytes are its characters. */
export function plainAscii(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** Record key as JSON text; `ascii` when its bytes are plain ASCII (the usual key). */
export function keyJson(key: Buffer | null): { text: string; ascii: boolean } {
  if (key === null) return { text: 'null', ascii: true };
  return plainAscii(key) ? { text: `"${key.toString('latin1')}"`, ascii: true } : { text: JSON.stringify(key.toString('utf8')), ascii: false };
}

/**
 * For LineWriter.plain: the bytes of a line between a plain key and the offset digits,
 * for records without headers. Records of a chunk mostly share their timestamp, so the
 * last one is cached.
 */
export class LineMiddles {
  private ts = '';
  private bytes = Buffer.alloc(0);
  constructor(private readonly topicJson: string, private readonly partition: number) {}
  of(timestamp: string, keyIsNull: boolean): Buffer {
    if (timestamp !== this.ts) {
      this.ts = timestamp;
      this.bytes = Buffer.from(`","headers":{},"timestamp":"${timestamp}","topic":${this.topicJson},"partition":${this.partition},"offset":"`, 'latin1');
    }
    // After `,"key":null` the middle starts at its comma, not at the key's closing quote.
    return keyIsNull ? this.bytes.subarray(1) : this.bytes;
  }
}

/** A record's line after its value, and the next line's start (see LineWriter.raw). */
export function lineTail(keyJsonText: string, headers: Record<string, string>, timestamp: string, topicJson: string, partition: number, offset: string): string {
  const h = headers === NO_HEADERS ? '{}' : JSON.stringify(headers);
  return `,"key":${keyJsonText},"headers":${h},"timestamp":"${timestamp}","topic":${topicJson},"partition":${partition},"offset":"${offset}"}\n${VALUE_KEY}`;
}

/**
 * Appends lines to one growing Buffer. To write a json record in two calls (its value's
 * bytes, then its tail) the tail also carries the next line's `{"value":`; that dangling
 * start is taken back before any other kind of line and at the end.
 */
export class LineWriter {
  private out: Buffer;
  private pos = 0;
  private open = false; // the output ends with a `{"value":` awaiting a value
  lines = 0;

  constructor(capacity: number) { this.out = Buffer.allocUnsafe(Math.max(1024, capacity)); }

  /**
   * A json record: `value` is its text as received, valid JSON without line breaks; `tail`
   * from lineTail, `ascii` when it holds only ASCII characters (then written as latin1,
   * which skips UTF-8 encoding: a third of this method's time). Copies with set(), not
   * Buffer#copy, whose JS wrapper cost more than the copy for values this small.
   */
  raw(value: Buffer, tail: string, ascii: boolean): void {
    this.room(PREFIX.length + value.length + tail.length * 3);
    if (!this.open) { this.out.set(PREFIX, this.pos); this.pos += PREFIX.length; }
    this.out.set(value, this.pos);
    this.pos += value.length;
    this.pos += this.out.write(tail, this.pos, ascii ? 'latin1' : 'utf8');
    this.open = true;
    this.lines += 1;
  }

  /**
   * The usual json record, written without building any string: value bytes as received
   * (valid JSON without line breaks), key bytes (null, or plainAscii), `middle` from
   * LineMiddles, then the offset's digits. Small copies with set(): Buffer#copy's and
   * Buffer#write's JS wrappers cost more than the copies themselves here.
   */
  plain(value: Buffer, key: Buffer | null, middle: Buffer, offset: string): void {
    this.room(PREFIX.length + value.length + KEY_NULL.length + (key?.length ?? 0) + middle.length + offset.length + END.length);
    const out = this.out;
    let pos = this.pos;
    if (!this.open) { out.set(PREFIX, pos); pos += PREFIX.length; }
    out.set(value, pos); pos += value.length;
    if (key === null) { out.set(KEY_NULL, pos); pos += KEY_NULL.length; } else {
      out.set(KEY_OPEN, pos); pos += KEY_OPEN.length;
      out.set(key, pos); pos += key.length;
    }
    out.set(middle, pos); pos += middle.length;
    for (let i = 0; i < offset.length; i++) out[pos++] = offset.charCodeAt(i);
    out.set(END, pos); pos += END.length;
    this.pos = pos;
    this.open = true;
    this.lines += 1;
  }

  /** Any other record, serialised whole. */
  record(r: SinkRecord): void {
    this.close();
    const line = `${JSON.stringify(r)}\n`;
    this.room(line.length * 3);
    this.pos += this.out.write(line, this.pos, 'utf8');
    this.lines += 1;
  }

  done(): Buffer {
    this.close();
    return this.out.subarray(0, this.pos);
  }

  private close(): void {
    if (this.open) this.pos -= PREFIX.length;
    this.open = false;
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.pos + bytes));
    this.out.copy(bigger, 0, 0, this.pos);
    this.out = bigger;
  }
}

const OFFSET_END = Buffer.from('"}\n', 'latin1');

/**
 * The lines of `bytes` whose record offset is above `floor`, and how many were dropped.
 * Each line ends with `"offset":"N"}` (the format above), read back from there. Only for
 * the rare batch that another instance of the group partly wrote already.
 */
export function linesAbove(bytes: Buffer, floor: bigint): { kept: Buffer; dropped: number } {
  const keep: Buffer[] = [];
  let dropped = 0;
  for (let start = 0; start < bytes.length;) {
    const end = bytes.indexOf(0x0a, start) + 1;
    const close = end - OFFSET_END.length;
    const open = bytes.lastIndexOf(0x22, close - 1); // the quote before the digits
    const offset = BigInt(bytes.toString('latin1', open + 1, close));
    if (offset > floor) keep.push(bytes.subarray(start, end)); else dropped += 1;
    start = end;
  }
  return { kept: Buffer.concat(keep), dropped };
}
