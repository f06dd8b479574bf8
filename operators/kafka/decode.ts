/**
 * Record values by `format`, as KafkaExtractOperator hands them to its sink:
 *   json      JSON.parse of the UTF-8 value.
 *   avro      Confluent wire format through @kafkajs/confluent-schema-registry: magic byte 0,
 *   protobuf  a 4-byte schema id, the payload; the schema comes from the registry (see
 *             schema-registry.ts for the URL and the file-based forms).
 * Protobuf values come out as proto3 JSON (lowerCamelCase field names, int64 as strings):
 * the library parses .proto files with protobufjs' defaults.
 * A null value (a tombstone) decodes to null in every format: it is a valid record, not a
 * poison one. Anything that cannot be decoded throws DecodeError with the reason, which
 * the extract operator writes to the dead-letter topic's headers; the batch goes on.
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';

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
  let decoded: unknown;
  try {
    decoded = await registry.decode(value);
  } catch (err) {
    throw new DecodeError(format, `schema id ${value.readInt32BE(1)}: ${(err as Error).message}`);
  }
  return format === 'protobuf' ? plainProtobuf(decoded) : decoded;
}

/** Synchronous JSON path: most records are JSON, and this is the extract's hot loop. */
export function decodeJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8')) as unknown;
  } catch (err) {
    throw new DecodeError('json', (err as Error).message);
  }
}

/**
 * protobufjs decodes into Message instances; their toJSON (longs and enums as strings,
 * bytes as base64) is what a JSON or PostgreSQL sink can store without surprises.
 */
function plainProtobuf(decoded: unknown): unknown {
  const withJson = decoded as { toJSON?: () => unknown } | null;
  return typeof withJson?.toJSON === 'function' ? withJson.toJSON() : decoded;
}

export function isRecordFormat(x: unknown): x is RecordFormat {
  return typeof x === 'string' && (FORMATS as readonly string[]).includes(x);
}
