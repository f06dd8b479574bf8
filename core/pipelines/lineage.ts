/**
 * Lineage of declarative pipelines: which datasets each task reads and writes, found in
 * its arguments (pure, no database):
 * - `query`/`sql`: tables after FROM/JOIN are read, INSERT/UPDATE/... targets written;
 * - `output` (sql): the table written; `table` (quality, ...): the table read; a quality
 *   task without `table` reads its single direct upstream's `output`, as the operator does;
 * - `topic` (Kafka): written, unless the type consumes or senses; `topics`: read;
 * - `sink`/`sinks`: written; `outlets`/`inlets` (asset URIs): written/read.
 * Across pipelines, one is upstream of another when it writes a dataset the other reads.
 */
import { sqlTables, tableName } from './sql-tables.ts';

export type DatasetKind = 'table' | 'topic' | 'sink' | 'asset';
export interface Dataset { id: string; kind: DatasetKind; name: string }
export interface TaskLineage { task_id: string; type: string; depends_on: string[]; reads: Dataset[]; writes: Dataset[] }

export interface LineageNode { id: string; type: 'task' | 'dataset' | 'pipeline'; name: string; kind?: string; relation?: 'upstream' | 'downstream' }
export interface LineageEdge { from: string; to: string; kind: 'reads' | 'writes' | 'depends_on' }
export interface LineageGraph {
  pipeline: string;
  nodes: LineageNode[];
  edges: LineageEdge[];
  upstream: string[];
  downstream: string[];
}

const dataset = (kind: DatasetKind, name: string): Dataset => ({ id: `${kind}:${name}`, kind, name });
const NOT_ARGS = new Set(['id', 'task_id', 'type', 'depends_on', 'task_group', 'expand']);

export function taskLineage(definition: Record<string, unknown>): TaskLineage[] {
  const tasks = Array.isArray(definition.tasks) ? definition.tasks as Array<Record<string, unknown>> : [];
  const checksUpstream = new Set<string>();
  const result = tasks.filter((t) => t && typeof t === 'object').map((t) => {
    const local = String(t.task_id ?? t.id ?? '');
    const group = typeof t.task_group === 'string' ? t.task_group : null;
    const deps = t.depends_on === undefined ? [] : [t.depends_on].flat().map(String);
    const args = Object.fromEntries(Object.entries(t).filter(([k]) => !NOT_ARGS.has(k)));
    const taskId = group ? `${group}.${local}` : local;
    if (t.type === 'quality' && (t.table === undefined || t.table === null)) checksUpstream.add(taskId);
    return { task_id: taskId, type: String(t.type ?? ''), depends_on: deps, ...datasetsOf(String(t.type ?? ''), args) };
  });
  // A quality check without `table` checks its upstream sql task's output (one only).
  const byId = new Map(result.map((t) => [t.task_id, t]));
  for (const t of result) {
    if (!checksUpstream.has(t.task_id)) continue;
    const outputs = t.depends_on.flatMap((d) => byId.get(d)?.writes.filter((w) => w.kind === 'table') ?? []);
    if (outputs.length === 1) t.reads.push(outputs[0]!);
  }
  return result;
}

function datasetsOf(type: string, args: Record<string, unknown>): { reads: Dataset[]; writes: Dataset[] } {
  const reads: Dataset[] = [];
  const writes: Dataset[] = [];
  for (const key of ['query', 'sql']) {
    for (const text of strings(args[key])) {
      const found = sqlTables(text);
      reads.push(...found.reads.map((n) => dataset('table', n)));
      writes.push(...found.writes.map((n) => dataset('table', n)));
    }
  }
  const table = (v: unknown) => strings(v).map(tableName).filter((n): n is string => !!n).map((n) => dataset('table', n));
  writes.push(...table(args.output));
  reads.push(...table(args.table));
  const consumes = /consum|sensor|listen|subscrib/i.test(type);
  (consumes ? reads : writes).push(...strings(args.topic).map((n) => dataset('topic', n)));
  reads.push(...strings(args.topics).map((n) => dataset('topic', n)));
  writes.push(...[args.sink, args.sinks].flatMap(names).map((n) => dataset('sink', n)));
  writes.push(...names(args.outlets).map((n) => dataset('asset', n)));
  reads.push(...names(args.inlets).map((n) => dataset('asset', n)));
  return { reads: unique(reads), writes: unique(writes) };
}

/** A string or a list of strings (templated values are skipped: unknown until run time). */
function strings(v: unknown): string[] {
  return [v].flat().filter((x): x is string => typeof x === 'string' && x.trim() !== '' && !x.includes('{{'));
}

/** Names of sinks or assets: strings, or objects with a name/uri/table/topic/path. */
function names(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return [v].flat().flatMap((x) => {
    if (typeof x === 'string') return strings(x);
    if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      return strings(o.name ?? o.uri ?? o.table ?? o.topic ?? o.path);
    }
    return [];
  });
}

function unique(list: Dataset[]): Dataset[] {
  return [...new Map(list.map((d) => [d.id, d])).values()];
}

/** Every dataset id a pipeline reads and writes. */
export function pipelineDatasets(definition: Record<string, unknown>): { reads: Set<string>; writes: Set<string> } {
  const tasks = taskLineage(definition);
  return { reads: new Set(tasks.flatMap((t) => t.reads.map((d) => d.id))), writes: new Set(tasks.flatMap((t) => t.writes.map((d) => d.id))) };
}

/** The lineage graph of `name`, with the `others` that feed it or that it feeds. */
export function lineageGraph(name: string, definition: Record<string, unknown>,
  others: ReadonlyArray<{ name: string; definition: Record<string, unknown> }>): LineageGraph {
  const tasks = taskLineage(definition);
  const nodes = new Map<string, LineageNode>();
  const edges: LineageEdge[] = [];
  const taskNode = (id: string) => `task:${name}/${id}`;
  const addDataset = (d: Dataset) => nodes.set(d.id, { id: d.id, type: 'dataset', name: d.name, kind: d.kind });
  for (const t of tasks) {
    nodes.set(taskNode(t.task_id), { id: taskNode(t.task_id), type: 'task', name: t.task_id, kind: t.type });
    for (const d of t.reads) { addDataset(d); edges.push({ from: d.id, to: taskNode(t.task_id), kind: 'reads' }); }
    for (const d of t.writes) { addDataset(d); edges.push({ from: taskNode(t.task_id), to: d.id, kind: 'writes' }); }
    for (const up of t.depends_on) edges.push({ from: taskNode(up), to: taskNode(t.task_id), kind: 'depends_on' });
  }
  const own = pipelineDatasets(definition);
  const upstream: string[] = [];
  const downstream: string[] = [];
  for (const other of others) {
    if (other.name === name) continue;
    const theirs = pipelineDatasets(other.definition);
    const feedsUs = [...theirs.writes].filter((d) => own.reads.has(d));
    const fedByUs = [...theirs.reads].filter((d) => own.writes.has(d));
    const id = `pipeline:${other.name}`;
    if (feedsUs.length) {
      upstream.push(other.name);
      nodes.set(id, { id, type: 'pipeline', name: other.name, relation: 'upstream' });
      for (const d of feedsUs) edges.push({ from: id, to: d, kind: 'writes' });
    }
    if (fedByUs.length) {
      downstream.push(other.name);
      // A pipeline both upstream and downstream (a cycle through datasets) keeps "upstream".
      if (!nodes.has(id)) nodes.set(id, { id, type: 'pipeline', name: other.name, relation: 'downstream' });
      for (const d of fedByUs) edges.push({ from: d, to: id, kind: 'reads' });
    }
  }
  return { pipeline: name, nodes: [...nodes.values()], edges, upstream, downstream };
}
