/**
 * One BullMQ job per task-instance try, with a deterministic id, so enqueueing the
 * same try twice (two schedulers, a re-enqueue after Redis lost it) adds one job.
 * BullMQ ids may not contain ":", which run ids do, hence the encoding.
 */
export interface TaskJobData {
  ti_id: number;
  try_number: number;
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  queue: string;
}

export function taskJobId(j: Pick<TaskJobData, 'dag_id' | 'run_id' | 'task_id' | 'map_index' | 'try_number'>): string {
  return [j.dag_id, j.run_id, j.task_id, String(j.map_index), String(j.try_number)].map(encodeURIComponent).join('/');
}
