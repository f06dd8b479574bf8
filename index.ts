/**
 * The authoring API that DAG files import as `updraft`:
 *   import { DAG, BashOperator, task, chain } from 'updraft';
 */
export { DAG, type DagArgs } from './core/authoring/dag.ts';
export { Asset, type AssetArgs } from './core/authoring/asset.ts';
export { BaseOperator, chain, type TaskArgs } from './core/authoring/base-operator.ts';
/** zod, for the argument schemas of operators written in DAG files (`super(args, z.object({...}))`). */
export { z } from 'zod';
export { TaskGroup, taskGroup, type TaskGroupArgs } from './core/authoring/task-group.ts';
export type { TaskContext, TaskLog } from './core/authoring/context.ts';
export type { TaskCallback, DagCallback } from './core/authoring/callbacks.ts';
export { TaskFailNow, TaskReschedule, TaskSkip } from './core/errors.ts';
export { EmptyOperator } from './operators/empty.ts';
export { BashOperator } from './operators/bash.ts';
export { SqlOperator } from './operators/sql/sql-operator.ts';
export { QualityOperator } from './operators/quality/quality-operator.ts';
export { NotificationOperator } from './operators/notification/notification-operator.ts';
export { task, FunctionOperator } from './operators/task-function.ts';
export { BranchOperator, branch } from './operators/branch/branch-operator.ts';
export { BashBranchOperator } from './operators/branch/bash-branch-operator.ts';
export { ShortCircuitOperator, shortCircuit } from './operators/branch/short-circuit-operator.ts';
export { LatestOnlyOperator } from './operators/branch/latest-only-operator.ts';
export { HttpOperator } from './operators/http/http-operator.ts';
export { KafkaProduceOperator } from './operators/kafka/produce-operator.ts';
export { KafkaExtractOperator } from './operators/kafka/extract-operator.ts';
export { TriggerDagRunOperator } from './operators/trigger/trigger-dagrun-operator.ts';
export { BaseSensorOperator, PokeReturnValue } from './operators/sensors/base-sensor.ts';
export { SqlSensor } from './operators/sensors/sql-sensor.ts';
export { ExternalTaskSensor } from './operators/sensors/external-task-sensor.ts';
export { TimeDeltaSensor, DateTimeSensor } from './operators/sensors/time-sensors.ts';
export { FileSensor } from './operators/sensors/file-sensor.ts';
export { TemporalWorkflowOperator } from './operators/temporal/workflow-operator.ts';
export { TemporalWorkflowSensor } from './operators/temporal/workflow-sensor.ts';
