/**
 * The seed's streaming pipeline format (metadata / sources / transformations / sinks /
 * orchestration) as a declarative DAG: one `kafka_extract` task per kafka source, running
 * in micro-batches. buildDeclarativeDag calls this for a document with `sources`, so every
 * check of the declarative builder (operator arguments, ids) applies to the result.
 *
 * Mapping (documented in the README, "Streaming pipelines"):
 *   metadata.name             -> dag_id; owner -> owner; version -> a "version:<v>" tag
 *   sources.<name> (kafka)    -> task "<source>_to_<sink>": topic, consumer_group, format,
 *                                start_offset, schema_registry, max_records, idle_timeout;
 *                                `connection` -> kafka_conn_id
 *   transformations[] sql_transform (input: <source>) -> that task's transform: {sql}
 *   sinks.<name>              -> the task's sink (postgres or jsonl; others are errors);
 *                                `input` picks the source, optional with one source
 *   orchestration.engine      -> flink / micro_batch accepted; flink passes `engine_note`
 *                                so the task logs that it runs as micro-batches
 *   orchestration.checkpoint_interval -> checkpoint_interval in seconds ("60s", "5m", 30)
 *   orchestration.parallelism -> max_active_tasks: how many of the pipeline's extract tasks
 *                                run at once (one consumer per task; a task's checkpoint
 *                                holds its partitions' offsets, so it is not split further)
 *   schedule                  -> @continuous (a new run when one ends, e.g. at idle_timeout),
 *                                max_active_runs 1; orchestration.schedule overrides it
 * `${VAR}` in any string resolves from the environment when the file is parsed (the parse
 * runs in a child process without database access, so Updraft variables are not read
 * here); a missing one is an error naming it. `${execution_date}` is left for templating.
 */

export const SUPPORTED_SINKS = ['postgres', 'jsonl'] as const;
const SUPPORTED_SOURCES = ['kafka'];
const SUPPORTED_TRANSFORMS = ['sql_transform'];
const ENGINES = ['flink', 'micro_batch', 'updraft'];
const TOP_KEYS = new Set(['metadata', 'sources', 'transformations', 'sinks', 'orchestration']);
/** Source keys passed to kafka_extract as they are (`type` and `connection` are mapped). */
const SOURCE_ARGS = ['topic', 'consumer_group', 'format', 'start_offset', 'schema_registry', 'max_records', 'idle_timeout'];
/** Placeholders the templating layer owns at run time, not the environment at parse time. */
const RUNTIME_PLACEHOLDERS = new Set(['execution_date']);

type Obj = Record<string, unknown>;

export function isStreamingPipeline(doc: unknown): boolean {
  return !!doc && typeof doc === 'object' && !Array.isArray(doc) && 'sources' in doc;
}

/** `${NAME}` in every string of the document, from `env`; missing names are one error listing all. */
export function resolvePlaceholders(doc: unknown, env: NodeJS.ProcessEnv): unknown {
  const missing = new Set<string>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
        if (RUNTIME_PLACEHOLDERS.has(name)) return whole;
        const value = env[name];
        if (value === undefined) { missing.add(name); return whole; }
        return value;
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const out = walk(doc);
  if (missing.size) {
    const names = [...missing];
    throw new Error(`pipeline placeholder(s) ${names.map((n) => `\${${n}}`).join(', ')} not set: define the environment `
      + `variable(s) ${names.join(', ')} for the dag-processor (read when the file is parsed)`);
  }
  return out;
}

const obj = (v: unknown, what: string): Obj => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${what} must be an object`);
  return v as Obj;
};

/** "60s", "5m", "1h", "500ms" or a number of seconds, as seconds. */
export function durationSeconds(v: unknown, what: string): number {
  if (typeof v === 'number' && v > 0) return v;
  const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v) : null;
  if (!m) throw new Error(`${what} must be a duration such as "60s", "5m" or a number of seconds, got ${JSON.stringify(v)}`);
  const n = Number(m[1]);
  return n * ({ ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? 's'] ?? 1);
}

/** The declarative DAG ({dag_id, tasks, ...}) for a streaming pipeline document. */
export function streamingPipelineToDag(raw: unknown, env: NodeJS.ProcessEnv = process.env): Obj {
  const doc = obj(resolvePlaceholders(obj(raw, 'a streaming pipeline'), env), 'a streaming pipeline');
  const unknown = Object.keys(doc).filter((k) => !TOP_KEYS.has(k));
  if (unknown.length) throw new Error(`unknown streaming pipeline key(s): ${unknown.map((k) => `"${k}"`).join(', ')}; known: ${[...TOP_KEYS].join(', ')}`);
  const meta = obj(doc.metadata, '"metadata"');
  if (typeof meta.name !== 'string' || !meta.name) throw new Error('streaming pipeline: "metadata.name" (the DAG id) is required');
  const where = `pipeline "${meta.name}"`;
  const sources = obj(doc.sources, `${where}: "sources"`);
  const sinks = obj(doc.sinks, `${where}: "sinks"`);
  const orchestration = doc.orchestration === undefined ? {} : obj(doc.orchestration, `${where}: "orchestration"`);
  if (!Object.keys(sources).length) throw new Error(`${where}: "sources" is empty`);
  if (!Object.keys(sinks).length) throw new Error(`${where}: "sinks" is empty`);

  const transforms = transformsBySource(doc.transformations, sources, where);
  const engineNote = engineNoteOf(orchestration, where);
  const taken = new Set<string>();
  const tasks: Obj[] = [];
  for (const [sinkName, rawSink] of Object.entries(sinks)) {
    const sinkWhere = `${where}: sink "${sinkName}"`;
    const { input, type, ...sinkArgs } = obj(rawSink, sinkWhere);
    if (!(SUPPORTED_SINKS as readonly unknown[]).includes(type)) {
      throw new Error(`${sinkWhere}: type ${JSON.stringify(type)} is not supported; supported sinks: ${SUPPORTED_SINKS.join(', ')}`
        + (type === 'iceberg' ? ' (use postgres in place of iceberg: micro-batch mode lands records in PostgreSQL)' : ''));
    }
    const sourceName = sinkInput(input, sources, transforms, sinkWhere);
    if (taken.has(sourceName)) throw new Error(`${sinkWhere}: source "${sourceName}" already feeds another sink; one sink per source`);
    taken.add(sourceName);
    tasks.push({
      id: `${sourceName}_to_${sinkName}`, type: 'kafka_extract',
      ...sourceArgs(sourceName, sources[sourceName], where),
      sink: { type, ...sinkArgs },
      ...(transforms.sqlBySource.has(sourceName) && { transform: { sql: transforms.sqlBySource.get(sourceName) } }),
      ...(orchestration.checkpoint_interval !== undefined
        && { checkpoint_interval: durationSeconds(orchestration.checkpoint_interval, `${where}: orchestration.checkpoint_interval`) }),
      ...(engineNote && { engine_note: engineNote }),
    });
  }
  const parallelism = orchestration.parallelism;
  if (parallelism !== undefined && !(Number.isInteger(parallelism) && (parallelism as number) > 0)) {
    throw new Error(`${where}: orchestration.parallelism must be a positive integer, got ${JSON.stringify(parallelism)}`);
  }
  return {
    dag_id: meta.name,
    schedule: orchestration.schedule ?? '@continuous',
    max_active_runs: 1,
    ...(parallelism !== undefined && { max_active_tasks: parallelism }),
    ...(typeof meta.owner === 'string' && { default_args: { owner: meta.owner } }),
    ...(typeof meta.description === 'string' && { description: meta.description }),
    tags: ['streaming', ...(meta.version !== undefined ? [`version:${String(meta.version)}`] : [])],
    tasks,
  };
}

function sourceArgs(name: string, raw: unknown, where: string): Obj {
  const src = obj(raw, `${where}: source "${name}"`);
  if (!SUPPORTED_SOURCES.includes(src.type as string)) {
    throw new Error(`${where}: source "${name}" has type ${JSON.stringify(src.type)}; supported sources: ${SUPPORTED_SOURCES.join(', ')}`);
  }
  const extra = Object.keys(src).filter((k) => k !== 'type' && k !== 'connection' && !SOURCE_ARGS.includes(k));
  if (extra.length) throw new Error(`${where}: source "${name}": unknown key(s) ${extra.map((k) => `"${k}"`).join(', ')}`);
  const args: Obj = Object.fromEntries(SOURCE_ARGS.filter((k) => src[k] !== undefined).map((k) => [k, src[k]]));
  if (src.connection !== undefined) args.kafka_conn_id = src.connection;
  return args;
}

/** source name -> its sql_transform's SQL; the seed chains none, so one per source. */
interface Transforms { sqlBySource: Map<string, string>; sourceByName: Map<string, string> }

function transformsBySource(raw: unknown, sources: Obj, where: string): Transforms {
  const out = new Map<string, string>();
  const sourceByName = new Map<string, string>();
  if (raw === undefined) return { sqlBySource: out, sourceByName };
  if (!Array.isArray(raw)) throw new Error(`${where}: "transformations" must be a list`);
  raw.forEach((t, i) => {
    const { name, type, input, sql } = obj(t, `${where}: transformations[${i}]`);
    const tw = `${where}: transformation "${String(name ?? i)}"`;
    if (!SUPPORTED_TRANSFORMS.includes(type as string)) throw new Error(`${tw}: type ${JSON.stringify(type)} is not supported; supported: ${SUPPORTED_TRANSFORMS.join(', ')}`);
    if (typeof input !== 'string' || !(input in sources)) throw new Error(`${tw}: input ${JSON.stringify(input)} must name a source (${Object.keys(sources).join(', ')})`);
    if (typeof sql !== 'string' || !sql.trim()) throw new Error(`${tw}: "sql" is required`);
    if (out.has(input)) throw new Error(`${tw}: source "${input}" already has a transformation; one per source`);
    out.set(input, sql);
    if (typeof name === 'string') sourceByName.set(name, input);
  });
  return { sqlBySource: out, sourceByName };
}

/** A sink's `input` names a source or a transformation; with one source it may be left out. */
function sinkInput(input: unknown, sources: Obj, transforms: Transforms, where: string): string {
  const names = Object.keys(sources);
  if (input === undefined) {
    if (names.length === 1) return names[0]!;
    throw new Error(`${where}: "input" is required when there are several sources (${names.join(', ')})`);
  }
  if (typeof input === 'string' && input in sources) return input;
  const viaTransform = typeof input === 'string' ? transforms.sourceByName.get(input) : undefined;
  if (viaTransform) return viaTransform;
  const choices = [...names, ...transforms.sourceByName.keys()].join(', ');
  throw new Error(`${where}: input ${JSON.stringify(input)} must name a source or a transformation (${choices})`);
}

function engineNoteOf(orchestration: Obj, where: string): string | undefined {
  const engine = orchestration.engine;
  if (engine === undefined || engine === 'micro_batch' || engine === 'updraft') return undefined;
  if (engine === 'flink') return 'orchestration.engine "flink" runs as Updraft micro-batches (no Flink cluster): same sources, transform and sink';
  throw new Error(`${where}: orchestration.engine ${JSON.stringify(engine)} is not supported; use one of ${ENGINES.join(', ')}`);
}
