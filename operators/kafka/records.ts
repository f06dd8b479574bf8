/**
 * Fetched Kafka messages → what a sink stores, one chunk (of one partition) at a time:
 * the value decoded by `format` (decode.ts), the key and headers as text, the timestamp
 * as ISO-8601. For a sink of jsonl lines the records are written straight into its line
 * bytes (jsonl-lines.ts) instead of SinkRecord objects. Records that cannot be decoded
 * come back apart, for the dead-letter topic. JSON, the common case, is decoded without
 * an await per record: this loop is most of the extract's own CPU time (bench/kafka.ts).
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { KafkaMessage } from 'kafkajs';
import { decodeRecord, DecodeError, type RecordFormat } from './decode.ts';
import { checkJson, ONE_LINE } from './json-check.ts';
import { keyJson, LineMiddles, lineTail, LineWriter, plainAscii } from './jsonl-lines.ts';
import { NO_HEADERS, type LineChunk, type SinkRecord } from './sink.ts';

/** A record for the dead-letter topic, with why it could not be decoded. */
export interface PoisonRecord { partition: number; offset: string; key: Buffer | null; value: Buffer | null; error: string }

/**
 * A decoded chunk: its records as objects, or (for a sink of jsonl lines) as lines; the
 * value+key bytes of its messages and the time its decoding took.
 */
export interface DecodedChunk { rows: SinkRecord[]; lines: LineChunk | null; poison: PoisonRecord[]; bytes: number; ms: number }

/** What a decoder needs to know, fixed for the whole extract. */
export interface DecodeSettings {
  topic: string; format: RecordFormat; registry?: SchemaRegistry;
  /** The sink stores jsonl lines (Sink.jsonLines): write them instead of SinkRecord objects. */
  jsonLines?: boolean;
}

function headersOf(m: KafkaMessage): Record<string, string> {
  const h = m.headers;
  if (!h) return NO_HEADERS;
  let out: Record<string, string> | null = null;
  for (const k in h) {
    const v = h[k];
    out ??= {};
    if (v !== undefined) out[k] = (Array.isArray(v) ? v : [v]).map((x) => x.toString()).join(',');
  }
  return out ?? NO_HEADERS;
}

/** decode.ts' decodeJson on text already decoded (the caller keeps the text). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DecodeError('json', (err as Error).message);
  }
}

/** Kafka timestamp (ms as a string) → ISO-8601; records of a batch mostly share one, so the last is cached. */
function isoTimestamper(): (ms: string) => string {
  let lastMs = '';
  let lastIso = '';
  return (ms) => {
    if (ms !== lastMs) { lastMs = ms; lastIso = new Date(Number(ms)).toISOString(); }
    return lastIso;
  };
}

/**
 * Decodes `messages` of one partition. Errors other than DecodeError (a registry that
 * does not answer, ...) are thrown: they fail the batch rather than send good records
 * to the dead-letter topic.
 */
export async function decodeChunk(s: DecodeSettings, partition: number, messages: readonly KafkaMessage[]): Promise<DecodedChunk> {
  const t0 = performance.now();
  const rows: SinkRecord[] = [];
  const poison: PoisonRecord[] = [];
  const iso = isoTimestamper();
  const json = s.format === 'json';
  const topicJson = JSON.stringify(s.topic);
  let bytes = 0;
  for (const m of messages) bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
  const lines = s.jsonLines ? new LineWriter(bytes + messages.length * 200) : null;
  const middles = new LineMiddles(topicJson, partition);
  for (const m of messages) {
    let value: unknown;
    try {
      if (json && m.value !== null) {
        // For lines, the value's bytes are written as they are once checkJson passes them,
        // which costs a third of JSON.parse and allocates nothing. Anything else goes to
        // JSON.parse: it names the error of a poison record, and a value that is JSON but
        // spans lines (whitespace between tokens) or is not valid UTF-8 is re-serialised.
        if (lines && checkJson(m.value) === ONE_LINE) {
          const headers = headersOf(m);
          if (headers === NO_HEADERS && (m.key === null || plainAscii(m.key))) {
            lines.plain(m.value, m.key, middles.of(iso(m.timestamp), m.key === null), m.offset);
            continue;
          }
          const key = keyJson(m.key);
          // Topic names are ASCII (Kafka allows [a-zA-Z0-9._-]), and so are timestamps and offsets.
          lines.raw(m.value, lineTail(key.text, headers, iso(m.timestamp), topicJson, partition, m.offset), key.ascii && headers === NO_HEADERS);
          continue;
        }
        value = parseJson(m.value.toString('utf8'));
      } else {
        value = await decodeRecord(s.format, m, s.registry);
      }
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      poison.push({ partition, offset: m.offset, key: m.key, value: m.value, error: err.message });
      continue;
    }
    const row: SinkRecord = {
      value, key: m.key ? m.key.toString('utf8') : null, headers: headersOf(m),
      timestamp: iso(m.timestamp), topic: s.topic, partition, offset: m.offset,
    };
    if (lines) lines.record(row); else rows.push(row);
  }
  const chunk = lines && lines.lines
    ? { partition, first: messages[0]!.offset, last: messages[messages.length - 1]!.offset, bytes: lines.done(), lines: lines.lines }
    : null;
  return { rows, lines: chunk, poison, bytes, ms: Math.round(performance.now() - t0) };
}
