/**
 * Operator types by name: how declarative DAGs (`"type": "bash"`) and workers (from
 * the serialized DAG) build operators. Function-based types are absent: they exist
 * only inside their DAG file.
 */
import type { BaseOperator, TaskArgs } from '../core/authoring/base-operator.ts';
import { BashOperator, type BashArgs } from './bash.ts';
import { BashBranchOperator } from './branch/bash-branch-operator.ts';
import { LatestOnlyOperator } from './branch/latest-only-operator.ts';
import { EmptyOperator } from './empty.ts';
import { HttpOperator, type HttpArgs } from './http/http-operator.ts';
import { KafkaProduceOperator, type KafkaProduceArgs } from './kafka/produce-operator.ts';
import { KafkaExtractOperator, type KafkaExtractArgs } from './kafka/extract-operator.ts';
import { TriggerDagRunOperator, type TriggerDagRunArgs } from './trigger/trigger-dagrun-operator.ts';
import { NotificationOperator, type NotificationArgs } from './notification/notification-operator.ts';
import { QualityOperator, type QualityArgs } from './quality/quality-operator.ts';
import { SqlOperator, type SqlArgs } from './sql/sql-operator.ts';
import { ExternalTaskSensor, type ExternalTaskSensorArgs } from './sensors/external-task-sensor.ts';
import { FileSensor, type FileSensorArgs } from './sensors/file-sensor.ts';
import { SqlSensor, type SqlSensorArgs } from './sensors/sql-sensor.ts';
import { DateTimeSensor, TimeDeltaSensor, type DateTimeSensorArgs, type TimeDeltaSensorArgs } from './sensors/time-sensors.ts';
import { TemporalWorkflowOperator, type TemporalWorkflowArgs } from './temporal/workflow-operator.ts';
import { TemporalWorkflowSensor, type TemporalWorkflowSensorArgs } from './temporal/workflow-sensor.ts';

export type OperatorFactory = (args: TaskArgs & Record<string, unknown>) => BaseOperator;

export const OPERATOR_REGISTRY: ReadonlyMap<string, OperatorFactory> = new Map<string, OperatorFactory>([
  ['empty', (a) => new EmptyOperator(a)],
  ['bash', (a) => new BashOperator(a as unknown as TaskArgs & BashArgs)],
  ['sql', (a) => new SqlOperator(a as unknown as TaskArgs & SqlArgs)],
  ['quality', (a) => new QualityOperator(a as unknown as TaskArgs & QualityArgs)],
  ['notification', (a) => new NotificationOperator(a as unknown as TaskArgs & NotificationArgs)],
  ['branch_bash', (a) => new BashBranchOperator(a as unknown as TaskArgs & BashArgs)],
  ['latest_only', (a) => new LatestOnlyOperator(a)],
  ['http', (a) => new HttpOperator(a as unknown as TaskArgs & HttpArgs)],
  ['kafka_produce', (a) => new KafkaProduceOperator(a as unknown as TaskArgs & KafkaProduceArgs)],
  ['kafka_extract', (a) => new KafkaExtractOperator(a as unknown as TaskArgs & KafkaExtractArgs)],
  ['trigger_dagrun', (a) => new TriggerDagRunOperator(a as unknown as TaskArgs & TriggerDagRunArgs)],
  ['sql_sensor', (a) => new SqlSensor(a as unknown as TaskArgs & SqlSensorArgs)],
  ['external_task_sensor', (a) => new ExternalTaskSensor(a as unknown as TaskArgs & ExternalTaskSensorArgs)],
  ['time_delta_sensor', (a) => new TimeDeltaSensor(a as unknown as TaskArgs & TimeDeltaSensorArgs)],
  ['date_time_sensor', (a) => new DateTimeSensor(a as unknown as TaskArgs & DateTimeSensorArgs)],
  ['file_sensor', (a) => new FileSensor(a as unknown as TaskArgs & FileSensorArgs)],
  ['temporal_workflow', (a) => new TemporalWorkflowOperator(a as unknown as TaskArgs & TemporalWorkflowArgs)],
  ['temporal_workflow_sensor', (a) => new TemporalWorkflowSensor(a as unknown as TaskArgs & TemporalWorkflowSensorArgs)],
]);
