/**
 * Everything a try needs before `execute` is called, shared by an ordinary try
 * (run-try.ts) and a durable step's activity (durable/activities.ts): the mapped
 * instance's values, the live operator, its rendered arguments and its TaskContext.
 */
import type { BaseOperator } from '../core/authoring/base-operator.ts';
import type { CheckpointHandle, TaskContext, TaskLog } from '../core/authoring/context.ts';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/connect.ts';
import type { DagSpec, TaskSpec } from '../core/dag/spec.ts';
import { TaskFailNow } from '../core/errors.ts';
import { renderFields } from '../core/templating/index.ts';
import { loadMapLists, mapLength, valuesAt } from '../core/transitions/map-values.ts';
import type { StartedTask } from '../core/transitions/start-ti.ts';
import { operatorFor, type DagSource } from './operator-loader.ts';
import { buildTemplateContextFor, connectionSettings, makeTaskContext } from './task-context.ts';

export interface PreparedTask {
  operator: BaseOperator;
  /** The operator's arguments with templates rendered (and a mapped instance's values). */
  args: Record<string, unknown>;
  ctx: TaskContext;
}

export interface PrepareOptions {
  signal: AbortSignal;
  log: TaskLog;
  /** Called when the task skips other tasks itself (branching): its run is decided again. */
  onSkip?: () => void;
  /** Replaces the context's checkpoint handle (a durable step also heartbeats it). */
  checkpoint?: CheckpointHandle;
  /** Import a DAG file's operators from this version's source (a durable step's pinned version). */
  source?: DagSource;
}

export async function prepareTask(r: { db: Db; config: Config }, spec: DagSpec, task: TaskSpec, started: StartedTask,
  o: PrepareOptions): Promise<PreparedTask> {
  const mapValues = await mappedArgValues(r.db, task, started);
  const operator = await operatorFor(spec, task, started.dag_version_id, mapValues, o.source);
  const template = await buildTemplateContextFor(r.db, spec, task, started, connectionSettings(r.config));
  const ownArgs = mapValues ? operator.argsWithMapped(mapValues) : operator.args;
  const args = renderFields(ownArgs, operator.templateFields, template);
  const ctx = makeTaskContext(r.db, spec, started, template, o.log, o.signal, connectionSettings(r.config), o.onSkip);
  return { operator, args, ctx: o.checkpoint ? { ...ctx, checkpoint: o.checkpoint } : ctx };
}

/** A mapped instance's values of its expanded arguments; null for an ordinary task. */
async function mappedArgValues(db: Db, task: TaskSpec, ti: StartedTask): Promise<Record<string, unknown> | null> {
  if (!task.mapped || ti.map_index < 0) return null;
  const loaded = await loadMapLists(db, ti.dag_run_id, task.mapped);
  if ('error' in loaded) throw new TaskFailNow(loaded.error);
  if (ti.map_index >= mapLength(loaded.lists)) throw new TaskFailNow(`map_index ${ti.map_index} is beyond the expanded values`);
  return valuesAt(loaded.lists, ti.map_index);
}
