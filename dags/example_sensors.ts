/**
 * Sensors: wait for a file that another task writes, for a moment after the data
 * interval, and (in reschedule mode, giving the worker slot back between checks) for a
 * point in time. Intervals are short so a run takes a few seconds. Manual only:
 *   npx updraft dags trigger example_sensors
 */
import { BashOperator, DAG, DateTimeSensor, FileSensor, TimeDeltaSensor } from 'updraft';

const dag = new DAG({
  dag_id: 'example_sensors',
  description: 'File, time-delta and reschedule-mode sensors',
  schedule: null,
  start_date: '2026-01-01',
  tags: ['example', 'sensors'],
  params: { drop_dir: '/tmp/updraft-example-sensors' },
});

// Writes the file a second after it starts; the sensor beside it waits for it.
new BashOperator({
  task_id: 'produce', dag,
  bash_command: 'sleep 1; mkdir -p {{ params.drop_dir }} && echo "42 rows" > {{ params.drop_dir }}/orders_{{ ts_nodash }}.csv',
});

const waitForFile = new FileSensor({
  task_id: 'wait_for_file', dag,
  filepath: '{{ params.drop_dir }}/orders_{{ ts_nodash }}*.csv',
  poke_interval: 0.2, timeout: 60,
});

// Airflow's TimeDeltaSensor: one second after the data interval ends.
const settle = new TimeDeltaSensor({ task_id: 'settle', dag, delta: 1, poke_interval: 0.2 });

// Reschedule mode: between checks the task waits in up_for_reschedule without a worker slot.
const notBefore = new DateTimeSensor({
  task_id: 'not_before', dag, mode: 'reschedule',
  target_time: '{{ data_interval_end.add(seconds=2) }}',
  poke_interval: 0.5, timeout: 60,
});

const report = new BashOperator({
  task_id: 'report', dag,
  bash_command: 'cat {{ params.drop_dir }}/orders_{{ ts_nodash }}.csv && rm -f {{ params.drop_dir }}/orders_{{ ts_nodash }}.csv',
});

report.lshift([waitForFile, settle, notBefore]);
