/**
 * The arguments every operator shares (Airflow's BaseOperator arguments), validated
 * and merged with the DAG's default_args once, when the task is created.
 */
import { z } from 'zod';
import { TRIGGER_RULES, WEIGHT_RULES, type TriggerRule, type WeightRule } from '../model/states.ts';
import { assetUriOf } from '../schedule/assets.ts';
import { optionalMs, toMs, type DurationInput } from '../time/duration.ts';
import { TASK_CALLBACK_NAMES, type TaskCallback, type TaskCallbackName } from './callbacks.ts';

export interface CommonTaskArgs {
  retries: number;
  retry_delay: DurationInput;
  retry_exponential_backoff: boolean;
  max_retry_delay: DurationInput | null;
  execution_timeout: DurationInput | null;
  trigger_rule: TriggerRule;
  depends_on_past: boolean;
  priority_weight: number;
  weight_rule: WeightRule;
  pool: string;
  pool_slots: number;
  queue: string;
  do_xcom_push: boolean;
  owner: string;
  doc_md: string;
  max_active_tis_per_dag: number | null;
  wait_for_downstream: boolean;
  /**
   * Run the task as a durable step: a Temporal activity whose retries, backoff and
   * timeout come from this task's own, and which survives the worker dying mid-step.
   */
  durable: boolean;
  /** Assets (URIs, or objects with a `uri`) this task updates when it succeeds. */
  outlets: Array<string | { uri: string }>;
  on_execute_callback: TaskCallback;
  on_success_callback: TaskCallback;
  on_failure_callback: TaskCallback;
  on_retry_callback: TaskCallback;
  on_skipped_callback: TaskCallback;
}

export const COMMON_ARG_NAMES: readonly string[] = [
  'retries', 'retry_delay', 'retry_exponential_backoff', 'max_retry_delay', 'execution_timeout',
  'trigger_rule', 'depends_on_past', 'priority_weight', 'weight_rule', 'pool', 'pool_slots', 'queue',
  'do_xcom_push', 'owner', 'doc_md', 'max_active_tis_per_dag', 'wait_for_downstream', 'durable', 'outlets',
  ...TASK_CALLBACK_NAMES,
];

/** Common arguments compiled to the form the serialized DAG stores. */
export interface ResolvedTaskArgs {
  retries: number;
  retry_delay_ms: number;
  retry_exponential_backoff: boolean;
  max_retry_delay_ms: number | null;
  execution_timeout_ms: number | null;
  trigger_rule: TriggerRule;
  depends_on_past: boolean;
  priority_weight: number;
  weight_rule: WeightRule;
  pool: string;
  pool_slots: number;
  queue: string;
  do_xcom_push: boolean;
  owner: string | null;
  max_active_tis_per_dag: number | null;
  wait_for_downstream: boolean;
  durable: boolean;
  outlets: string[];
  callbacks: Partial<Record<TaskCallbackName, TaskCallback>>;
}

const duration = z.union([z.number(), z.string(), z.record(z.string(), z.number())]);
const Schema = z.object({
  retries: z.number().int().min(0).default(0),
  retry_delay: duration.default(300),
  retry_exponential_backoff: z.boolean().default(false),
  max_retry_delay: duration.nullable().default(null),
  execution_timeout: duration.nullable().default(null),
  trigger_rule: z.enum(TRIGGER_RULES).default('all_success'),
  depends_on_past: z.boolean().default(false),
  priority_weight: z.number().int().default(1),
  weight_rule: z.enum(WEIGHT_RULES).default('downstream'),
  pool: z.string().min(1).default('default_pool'),
  pool_slots: z.number().int().min(1).default(1),
  queue: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'queue names use letters, digits, "_", "." and "-"').default('default'),
  do_xcom_push: z.boolean().default(true),
  owner: z.string().nullable().default(null),
  doc_md: z.string().optional(),
  max_active_tis_per_dag: z.number().int().positive().nullable().default(null),
  wait_for_downstream: z.boolean().default(false),
  durable: z.boolean().default(false),
  outlets: z.array(z.union([z.string().min(1), z.object({ uri: z.string().min(1) }).passthrough()])).default([]),
  ...Object.fromEntries(TASK_CALLBACK_NAMES.map((n) => [n, z.function().optional()])),
});

/** Merge default_args under the task's own arguments and validate the result. */
export function resolveTaskArgs(
  where: string,
  own: Record<string, unknown>,
  defaults: Record<string, unknown> | undefined,
): ResolvedTaskArgs {
  const merged: Record<string, unknown> = {};
  for (const name of COMMON_ARG_NAMES) {
    const value = own[name] !== undefined ? own[name] : defaults?.[name];
    if (value !== undefined) merged[name] = value;
  }
  const parsed = Schema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${where}: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const a = parsed.data;
  const callbacks: Partial<Record<TaskCallbackName, TaskCallback>> = {};
  for (const name of TASK_CALLBACK_NAMES) {
    const cb = merged[name];
    if (typeof cb === 'function') callbacks[name] = cb as TaskCallback;
  }
  return {
    retries: a.retries,
    retry_delay_ms: toMs(a.retry_delay as DurationInput, `${where}: retry_delay`),
    retry_exponential_backoff: a.retry_exponential_backoff,
    max_retry_delay_ms: optionalMs(a.max_retry_delay as DurationInput | null, `${where}: max_retry_delay`),
    execution_timeout_ms: optionalMs(a.execution_timeout as DurationInput | null, `${where}: execution_timeout`),
    trigger_rule: a.trigger_rule,
    // Airflow: wait_for_downstream implies depends_on_past.
    depends_on_past: a.depends_on_past || a.wait_for_downstream,
    priority_weight: a.priority_weight,
    weight_rule: a.weight_rule,
    pool: a.pool,
    pool_slots: a.pool_slots,
    queue: a.queue,
    do_xcom_push: a.do_xcom_push,
    owner: a.owner,
    max_active_tis_per_dag: a.max_active_tis_per_dag,
    wait_for_downstream: a.wait_for_downstream,
    durable: a.durable,
    outlets: [...new Set(a.outlets.map((o, i) => assetUriOf(o, `${where}: outlets[${i}]`)))],
    callbacks,
  };
}
