/**
 * Operator types by name: how declarative DAGs (`"type": "bash"`) and workers (from
 * the serialized DAG) build operators. Function-based types are absent: they exist
 * only inside their DAG file.
 */
import type { BaseOperator, TaskArgs } from '../core/authoring/base-operator.ts';
import { BashOperator, type BashArgs } from './bash.ts';
import { EmptyOperator } from './empty.ts';

export type OperatorFactory = (args: TaskArgs & Record<string, unknown>) => BaseOperator;

export const OPERATOR_REGISTRY: ReadonlyMap<string, OperatorFactory> = new Map<string, OperatorFactory>([
  ['empty', (a) => new EmptyOperator(a)],
  ['bash', (a) => new BashOperator(a as unknown as TaskArgs & BashArgs)],
]);
