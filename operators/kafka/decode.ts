/**
 * Record values by `format`, as KafkaExtractOperator hands them to its sink:
 *   json      JSON.parse of the UTF-8 value.
 *   avro      Confluent's wire format: magic byte 0, a 4-byte big-endian schema id, then
 *             the Avro binary, read with that id's (writer) schema. Values come out as JSON:
 *             records as plain objects, bytes and fixed as base64 (as Protobuf's bytes).
 *   protobuf  the same header, then the message-index list (which message of the schema's
 *             file the value is), then the Protobuf binary. Values come out as proto3 JSON
 *             (lowerCamelCase field names, int64 and enums as strings, bytes as base64),
 *             with fields at their default value included, so a 0 is 0 in the sink, not missing.
 * Schemas come from the task's registry (schema-registry.ts: a Confluent-compatible
 * registry through @kafkajs/confluent-schema-registry, or a folder of schema files).
 * A null value (a tombstone) decodes to null in every format: it is a valid record, not a
 * poison one. Anything that cannot be decoded throws DecodeError with the reason, which
 * the extract operator writes to the dead-letter topic's headers; the batch goes on. An
 * unknown schema id makes the record poison; a registry that cannot be asked throws
 * RegistryUnavailableError instead (schema-registry.ts), which fails the batch.
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type protobuf from 'protobufjs';
import { isMessageType, librarySchema, protobufSchema, RegistryUnavailableError, schemaTypeOf } from './schema-registry.ts';

export const FORMATS = ['json', 'avro', 'protobuf'] as const;
export type RecordFormat = (typeof FORMATS)[number];

/** The part of a kafkajs message decoding needs (value is null for a tombstone). */
export interface EncodedMessage { value: Buffer | null }

/** A record that cannot be decoded; `reason` is short enough for a Kafka header. */
export class DecodeError extends Error {
  override name = 'DecodeError';
  constructor(readonly format: RecordFormat, readonly reason: string) {
    super(`cannot decode ${format} record: ${reason}`);
  }
}

/** Confluent's framing: magic byte 0 and a schema id come before the payload. */
const WIRE_HEADER_BYTES = 5;

export async function decodeRecord(format: RecordFormat, message: EncodedMessage, registry?: SchemaRegistry): Promise<unknown> {
  const value = message.value;
  if (value === null) return null;
  if (format === 'json') return decodeJson(value);
  if (!registry) throw new DecodeError(format, `format "${format}" needs a schema_registry`);
  // Checked here, not left to the library: its own message for a bad frame names bytes, not the cause.
  if (value.length < WIRE_HEADER_BYTES || value[0] !== 0) {
    throw new DecodeError(format, value.length < WIRE_HEADER_BYTES
      ? `${value.length} bytes is too short for the Confluent wire format (magic byte + 4-byte schema id)`
      : `magic byte is ${value[0]}, not 0: not in the Confluent wire format`);
  }
  const id = value.readInt32BE(1);
  return format === 'avro' ? decodeAvro(id, value, registry) : decodeProtobuf(id, value, registry);
}

/** Synchronous JSON path: most records are JSON, and this is the extract's hot loop. */
export function decodeJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8')) as unknown;
  } catch (err) {
    throw new DecodeError('json', (err as Error).message);
  }
}

/** The part of an avsc Type used here (the library's schema object for an Avro id). */
interface AvroType { fromBuffer(buffer: Buffer): unknown }

async function decodeAvro(id: number, value: Buffer, registry: SchemaRegistry): Promise<unknown> {
  let avro: Partial<AvroType>;
  try {
    // The type first: the library would try to parse a Protobuf id's schema and fail with a misleading reason.
    const type = await schemaTypeOf(registry, id);
    if (type !== 'AVRO') throw new Error(`it is a ${type} schema, not an Avro one`);
    avro = await librarySchema(registry, id) as Partial<AvroType>; // the library: parsed by avsc once, cached
  } catch (err) {
    if (err instanceof RegistryUnavailableError) throw err;
    throw new DecodeError('avro', `schema id ${id}: ${(err as Error).message}`);
  }
  if (typeof avro.fromBuffer !== 'function') throw new DecodeError('avro', `schema id ${id}: the library did not parse it as Avro`);
  try {
    // As the library's decode without a reader schema; avsc rejects truncated and trailing bytes.
    return plainAvro(avro.fromBuffer(value.subarray(WIRE_HEADER_BYTES)));
  } catch (err) {
    throw new DecodeError('avro', `schema id ${id}: ${(err as Error).message}`);
  }
}

/**
 * avsc gives records as instances of generated classes and bytes / fixed as Buffers, which
 * JSON.stringify would write as {"type":"Buffer","data":[...]}: plain objects and base64.
 */
function plainAvro(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map(plainAvro);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = plainAvro(x);
  return out;
}

/** Message → proto3 JSON, as Message#toJSON but with default values written out. */
const PROTO_JSON: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, defaults: true, json: true };

async function decodeProtobuf(id: number, value: Buffer, registry: SchemaRegistry): Promise<unknown> {
  let messages: protobuf.Type[];
  try {
    ({ messages } = await protobufSchema(registry, id));
  } catch (err) {
    if (err instanceof RegistryUnavailableError) throw err;
    throw new DecodeError('protobuf', `schema id ${id}: ${(err as Error).message}`);
  }
  const { path, next } = readMessageIndexes(value, WIRE_HEADER_BYTES);
  let type: protobuf.Type | undefined;
  for (const index of path) {
    const choices = type ? type.nestedArray.filter(isMessageType) : messages;
    const within = type ? `message ${type.name} has` : 'the file has';
    type = choices[index];
    if (!type) {
      throw new DecodeError('protobuf', `schema id ${id}: message index ${path.join('.')} does not exist `
        + `(${within} ${choices.length} message${choices.length === 1 ? '' : 's'} there)`);
    }
  }
  try {
    // A plain Uint8Array view, not a Buffer: for a Buffer protobufjs (7.x) reads strings with a
    // reader that silently cuts a string field short when the value is truncated, where the
    // plain reader says "index out of range".
    const payload = new Uint8Array(value.buffer, value.byteOffset + next, value.length - next);
    return type!.toObject(type!.decode(payload), PROTO_JSON);
  } catch (err) {
    throw new DecodeError('protobuf', `schema id ${id}, message ${type!.fullName.replace(/^\./, '')}: ${(err as Error).message}`);
  }
}

/**
 * The message-index list after the header: a zigzag varint count, then that many zigzag
 * varint indexes; a count of 0 stands for [0], the first message (Confluent's short form).
 * @kafkajs/confluent-schema-registry's own encoder writes no list at all (its decoder
 * skips leading zero bytes instead), so a value from a producer using it starts straight
 * with a field tag, or is empty for a message whose fields are all at their defaults. Tags
 * are at least 0x08 (field numbers start at 1) while lists up to three deep start below
 * that, so such a value is read as message 0, as the library does. (Deeper lists, a
 * message nested four levels down, are therefore not supported.)
 */
export function readMessageIndexes(value: Buffer, start: number): { path: number[]; next: number } {
  if (start >= value.length || value[start]! >= 0x08) return { path: [0], next: start };
  let pos = start;
  const zigzag = (): number => {
    let n = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= value.length) throw new DecodeError('protobuf', 'the message-index list runs past the end of the value');
      const b = value[pos++]!;
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n % 2 ? -(n + 1) / 2 : n / 2;
    }
    throw new DecodeError('protobuf', 'a varint in the message-index list is longer than 5 bytes');
  };
  const count = zigzag();
  if (count < 0) throw new DecodeError('protobuf', `the message-index list has a negative length (${count})`);
  if (count === 0) return { path: [0], next: pos };
  const path: number[] = [];
  for (let i = 0; i < count; i++) {
    const index = zigzag();
    if (index < 0) throw new DecodeError('protobuf', `negative message index ${index}`);
    path.push(index);
  }
  return { path, next: pos };
}

export function isRecordFormat(x: unknown): x is RecordFormat {
  return typeof x === 'string' && (FORMATS as readonly string[]).includes(x);
}
