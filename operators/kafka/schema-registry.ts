/**
 * Schema registries for `avro` / `protobuf` records in the Confluent wire format
 * (magic byte 0, a 4-byte big-endian schema id, then the Avro or Protobuf payload).
 * Decoding and encoding always go through @kafkajs/confluent-schema-registry; only
 * where the schema text comes from differs:
 *
 *   http(s)://host:port   a Confluent-compatible schema registry (the library's own
 *                         REST client: GET /schemas/ids/{id}).
 *   file:///dir or /dir   a folder of schema files, `<id>.avsc` (Avro) or `<id>.proto`
 *                         (Protobuf), optionally `<id>-<subject>.<ext>`. This is the
 *                         documented fallback of issue 5 for machines where no
 *                         Confluent-compatible registry can be installed (none could be
 *                         here: no registry server is on PyPI, npm or Maven Central as a
 *                         runnable artifact). The stub below answers the library's one
 *                         origin request (schema by id) from the files, so the wire format,
 *                         schema parsing, caching and (de)serialization are the library's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';

/** What the library expects from GET /schemas/ids/{id}. */
interface RegistrySchemaResponse { schema: string; schemaType?: 'AVRO' | 'PROTOBUF' | 'JSON' }

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
    (this as unknown as { getSchemaOriginRequest: (id: number) => Promise<unknown> })
      .getSchemaOriginRequest = (id) => this.fromFile(id);
  }

  /** The schema ids the folder holds (for messages and tests). */
  ids(): number[] {
    return [...this.files.keys()].sort((a, b) => a - b);
  }

  /** A schema by id, shaped like the mappersmith response it replaces (`data()`). */
  private fromFile(registryId: number): Promise<{ data: () => RegistrySchemaResponse }> {
    const file = this.files.get(registryId);
    if (!file) {
      return Promise.reject(new Error(`schema id ${registryId} is not in the schema registry folder ${this.dir} `
        + `(it holds ${this.ids().join(', ') || 'no schemas'}; files are named <id>.avsc or <id>.proto)`));
    }
    const body: RegistrySchemaResponse = { schema: fs.readFileSync(file, 'utf8'), schemaType: EXTENSIONS[path.extname(file)] };
    return Promise.resolve({ data: () => body });
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
