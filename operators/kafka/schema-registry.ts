/**
 * Schema registries for `avro` / `protobuf` records in the Confluent wire format
 * (magic byte 0, a 4-byte big-endian schema id, then the Avro or Protobuf payload).
 * Schemas are always fetched through @kafkajs/confluent-schema-registry's origin request
 * (schema by id) and cached per registry; only where the schema text comes from differs:
 *
 *   http(s)://host:port   a Confluent-compatible schema registry (the library's own
 *                         REST client: GET /schemas/ids/{id}).
 *   file:///dir or /dir   a folder of schema files, `<id>.avsc` (Avro) or `<id>.proto`
 *                         (Protobuf), optionally `<id>-<subject>.<ext>`. This is the
 *                         documented fallback of issue 5 for machines where no
 *                         Confluent-compatible registry can be installed (none could be
 *                         here: no registry server is on npm, PyPI, Maven Central,
 *                         crates.io or Debian as a runnable artifact; only clients are).
 *                         The subclass below answers the library's origin request from
 *                         the files, so everything after the fetch is the same code.
 *
 * Avro schemas are parsed by the library (avsc). Protobuf schemas are parsed here
 * (protobufSchema) because the library's parse cannot address a value's message; see
 * decode.ts for the framing. Errors are sorted for the extract: SchemaNotFoundError (the
 * record names an id the registry does not have: poison) and RegistryUnavailableError
 * (the registry cannot be asked: the batch fails and is retried).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import protobuf from 'protobufjs';

/** What the library expects from GET /schemas/ids/{id} (a missing schemaType means Avro). */
interface RegistrySchemaResponse { schema: string; schemaType?: 'AVRO' | 'PROTOBUF' | 'JSON'; references?: unknown[] }

/** The library's one origin request, private in its typings: schema by id, deduplicated while in flight. */
type OriginRequest = (id: number) => Promise<{ data: () => RegistrySchemaResponse }>;

const EXTENSIONS: Record<string, RegistrySchemaResponse['schemaType']> = { '.avsc': 'AVRO', '.proto': 'PROTOBUF' };
const FILE_NAME = /^(\d+)(?:-[^/]*)?(\.avsc|\.proto)$/;

/** A registry that serves schemas from files, through the library's own decode/encode path. */
export class FileSchemaRegistry extends SchemaRegistry {
  readonly dir: string;
  private readonly files = new Map<number, string>();

  constructor(dir: string) {
    // The host is never contacted: every origin request is answered from the folder.
    super({ host: 'http://127.0.0.1:1' });
    this.dir = dir;
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (err) {
      throw new Error(`schema registry folder ${dir} cannot be read: ${(err as Error).message}`);
    }
    for (const name of names) {
      const m = FILE_NAME.exec(name);
      if (!m) continue;
      const id = Number(m[1]);
      if (this.files.has(id)) throw new Error(`schema registry folder ${dir}: two files for schema id ${id}`);
      this.files.set(id, path.join(dir, name));
    }
    // The library's one network call (schema by id; private in its typings) is answered
    // from the folder: an own property shadows the prototype's method.
    (this as unknown as { getSchemaOriginRequest: OriginRequest }).getSchemaOriginRequest = (id) => this.fromFile(id);
  }

  /** The schema ids the folder holds (for messages and tests). */
  ids(): number[] {
    return [...this.files.keys()].sort((a, b) => a - b);
  }

  /** A schema by id, shaped like the mappersmith response it replaces (`data()`). */
  private async fromFile(registryId: number): Promise<{ data: () => RegistrySchemaResponse }> {
    const file = this.files.get(registryId);
    if (!file) {
      throw new SchemaNotFoundError(`schema id ${registryId} is not in the schema registry folder ${this.dir} `
        + `(it holds ${this.ids().join(', ') || 'no schemas'}; files are named <id>.avsc or <id>.proto)`);
    }
    const body: RegistrySchemaResponse = { schema: await fs.promises.readFile(file, 'utf8'), schemaType: EXTENSIONS[path.extname(file)] };
    return { data: () => body };
  }
}

/** Registries by location, so every batch of a task (and every task in a worker) reuses one cache. */
const registries = new Map<string, SchemaRegistry>();

/** The registry at `location`: an http(s) URL, a file:// URL or a folder path. */
export function schemaRegistryAt(location: string): SchemaRegistry {
  const known = registries.get(location);
  if (known) return known;
  let registry: SchemaRegistry;
  if (/^https?:\/\//i.test(location)) registry = new SchemaRegistry({ host: location.replace(/\/+$/, '') });
  else if (location.startsWith('file:')) registry = new FileSchemaRegistry(fileURLToPath(location));
  else if (path.isAbsolute(location) || location.startsWith('.')) registry = new FileSchemaRegistry(path.resolve(location));
  else throw new Error(`schema_registry ${JSON.stringify(location)} is neither an http(s) URL nor a folder of schema files`);
  registries.set(location, registry);
  return registry;
}

/**
 * The registry answered that it has no schema of this id (HTTP 404, or no such file): the
 * record's fault, so the record is poison.
 */
export class SchemaNotFoundError extends Error {
  override name = 'SchemaNotFoundError';
}

/**
 * The registry could not be asked: it is down or refuses the connection (the library
 * reports that as status 400), answers 5xx, refuses the credentials, or a schema file
 * cannot be read. Not the record's fault: the batch fails and the task's retry resumes
 * from its checkpoint, rather than good records going to the dead-letter topic.
 */
export class RegistryUnavailableError extends Error {
  override name = 'RegistryUnavailableError';
}

/** The library's ResponseError carries the HTTP status; fs errors a code; parse errors neither. */
function classified(err: unknown): unknown {
  if (err instanceof SchemaNotFoundError || err instanceof RegistryUnavailableError) return err;
  const { status, code, message } = err as { status?: unknown; code?: unknown; message?: string };
  if (status === 404) return new SchemaNotFoundError(message ?? 'not found');
  if (typeof status === 'number' || typeof code === 'string') return new RegistryUnavailableError(`schema registry: ${message ?? String(err)}`);
  return err;
}

/** The library's parsed schema of `id` (avsc Type, ProtoSchema, ...), its errors classified as above. */
export async function librarySchema(registry: SchemaRegistry, id: number): Promise<unknown> {
  try {
    return await registry.getSchema(id);
  } catch (err) {
    throw classified(err);
  }
}

/** The schema type an id names, as the registry says ("AVRO" when it says nothing, as Confluent's does). */
export type SchemaTypeName = NonNullable<RegistrySchemaResponse['schemaType']>;

/**
 * Raw schemas (text, type, references) by registry and id, fetched through the library's
 * origin request: its REST client for a URL, the folder for a FileSchemaRegistry. Failures
 * are not kept: a registry may learn an id later.
 */
const rawSchemas = new WeakMap<SchemaRegistry, Map<number, Promise<RegistrySchemaResponse>>>();

function rawSchema(registry: SchemaRegistry, id: number): Promise<RegistrySchemaResponse> {
  return cached(rawSchemas, registry, id, async () => {
    const origin = (registry as unknown as { getSchemaOriginRequest: OriginRequest }).getSchemaOriginRequest.bind(registry);
    try {
      return (await origin(id)).data();
    } catch (err) {
      throw classified(err);
    }
  });
}

/** What kind of schema `id` is: checked before decoding, so a task whose format does not match says so. */
export async function schemaTypeOf(registry: SchemaRegistry, id: number): Promise<SchemaTypeName> {
  return (await rawSchema(registry, id)).schemaType ?? 'AVRO';
}

/**
 * A Protobuf schema as the Confluent wire format addresses it: the message-index list in
 * each value counts in declaration order, first among its file's top-level messages,
 * then among the nested messages of the one before.
 */
export interface ProtobufSchema { messages: protobuf.Type[] }

const protobufSchemas = new WeakMap<SchemaRegistry, Map<number, Promise<ProtobufSchema>>>();

/**
 * The Protobuf schema of `id`, parsed once per registry. Not the library's own parse: it
 * keeps only the file's first declaration, so it fails on a file that starts with an enum
 * ("no such type") and cannot reach a value's second or nested message. A schema that
 * imports others (references) takes its types from the library's parse, which is what
 * resolves references through the registry.
 */
export function protobufSchema(registry: SchemaRegistry, id: number): Promise<ProtobufSchema> {
  return cached(protobufSchemas, registry, id, async () => {
    const raw = await rawSchema(registry, id);
    const type = raw.schemaType ?? 'AVRO';
    if (type !== 'PROTOBUF') throw new Error(`it is an ${type} schema, not a Protobuf one`);
    // protobufjs' defaults, as the library parses: field names become lowerCamelCase.
    const parsed = protobuf.parse(raw.schema);
    const file = parsed.package ? parsed.root.lookup(parsed.package) : parsed.root;
    const names = (file instanceof protobuf.Namespace ? file.nestedArray : []).filter(isMessageType).map((t) => t.fullName);
    let root = parsed.root;
    if (raw.references?.length) {
      const message = (await librarySchema(registry, id) as { message?: protobuf.Type }).message;
      if (!message) throw new Error('the library did not parse it as Protobuf');
      root = message.root;
    } else {
      root.resolveAll(); // an unknown field type is an error now, not at the first record
    }
    return { messages: names.map((n) => root.lookupType(n)) };
  });
}

/** Messages only: enums, services and sub-namespaces do not count in the message-index list. */
export function isMessageType(x: protobuf.ReflectionObject): x is protobuf.Type {
  // Not instanceof: with references the types come from the library's copy of protobufjs.
  return typeof (x as Partial<protobuf.Type>).decode === 'function' && 'fieldsArray' in x;
}

/** One promise per registry and id, shared by concurrent callers; dropped if it fails. */
function cached<T>(store: WeakMap<SchemaRegistry, Map<number, Promise<T>>>, registry: SchemaRegistry, id: number,
  load: () => Promise<T>): Promise<T> {
  let byId = store.get(registry);
  if (!byId) store.set(registry, byId = new Map());
  const known = byId.get(id);
  if (known) return known;
  const loading = load();
  byId.set(id, loading);
  loading.catch(() => byId.delete(id));
  return loading;
}
