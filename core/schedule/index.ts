/**
 * Scheduling: compile a DAG's `schedule` and compute which runs to create, with
 * Airflow's data-interval semantics (logical date = interval start, run after
 * the interval ends). Pure functions, no I/O.
 */
export type { DataInterval, NextRunOptions, RunInfo, ScheduleSpec } from './types.ts';
export { compileSchedule, describeSchedule } from './spec.ts';
export { nextRunInfo } from './next-run.ts';
export { manualRunInfo } from './manual.ts';
export { backfillRunInfos, BACKFILL_MAX_RUNS } from './backfill.ts';
export { assetUriOf, compileAssetSchedule, validateAssetUri } from './assets.ts';
