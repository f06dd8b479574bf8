/**
 * buildTemplateContext(): the Airflow 3 template context for one task instance.
 *
 * Dates follow Airflow: values are pendulum-like DateTimes in UTC, and ds/ts are the UTC
 * logical date, whatever the DAG's time zone (the zone is available as `dag.timezone`).
 *
 * Runs without a logical date (Airflow 3 manual/asset runs triggered without one): like
 * Airflow 3 we leave logical_date, ds, ds_nodash, ts, ts_nodash and ts_nodash_with_tz
 * out of the context, so a template using them fails with "'ds' is undefined" and a
 * hint, instead of silently rendering some other date (data_interval_start or the run
 * time would be a guess, and "runs a day late" confusion is what users complain about).
 * data_interval_start/end are present whenever known.
 */
import { AttrView, ConnectionAccessor, DagRunView, TaskInstanceView, VariableAccessor } from './accessors.ts';
import { TemplateDateTime } from './datetime.ts';
import { MACROS } from './macros.ts';
import type { TemplateContext, TemplateInput } from './types.ts';

const toTemplateDate = (d: Date | null): TemplateDateTime | null => (d === null ? null : TemplateDateTime.fromDate(d));

function taskLabel(input: TemplateInput): string {
  const operator = typeof input.task.operator === 'string' ? input.task.operator : 'Task';
  return `<Task(${operator}): ${input.task_id}>`;
}

export function buildTemplateContext(input: TemplateInput): TemplateContext {
  const logicalDate = toTemplateDate(input.logical_date);
  const intervalStart = toTemplateDate(input.data_interval_start);
  const intervalEnd = toTemplateDate(input.data_interval_end);

  const task = new AttrView(taskLabel(input), input.task, { task_id: input.task_id, dag_id: input.dag_id });
  const dag = new AttrView(`<DAG: ${input.dag_id}>`, input.dag, { dag_id: input.dag_id, timezone: input.timezone });
  const ti = new TaskInstanceView(input, task);
  const dagRun = new DagRunView({
    dag_id: input.dag_id,
    run_id: input.run_id,
    run_type: input.run_type,
    conf: input.conf,
    logical_date: logicalDate,
    data_interval_start: intervalStart,
    data_interval_end: intervalEnd,
  });

  const ctx: TemplateContext = {
    dag,
    task,
    ti,
    task_instance: ti,
    run_id: input.run_id,
    dag_run: dagRun,
    params: input.params,
    var: { value: new VariableAccessor(input.variable, false), json: new VariableAccessor(input.variable, true) },
    conn: new ConnectionAccessor(input.connection),
    macros: MACROS,
    prev_data_interval_start_success: toTemplateDate(input.prev_data_interval_start_success),
    prev_data_interval_end_success: toTemplateDate(input.prev_data_interval_end_success),
    task_instance_key_str: `${input.dag_id}__${input.task_id}__${input.run_id}`,
  };

  if (logicalDate !== null || intervalStart !== null) ctx.data_interval_start = intervalStart;
  if (logicalDate !== null || intervalEnd !== null) ctx.data_interval_end = intervalEnd;

  if (logicalDate !== null) {
    const ds = logicalDate.strftime('%Y-%m-%d');
    const ts = logicalDate.isoformat();
    Object.assign(ctx, {
      logical_date: logicalDate,
      ds,
      ds_nodash: ds.replace(/-/g, ''),
      ts,
      ts_nodash: logicalDate.strftime('%Y%m%dT%H%M%S'),
      ts_nodash_with_tz: ts.replace(/[-:]/g, ''),
      task_instance_key_str: `${input.dag_id}__${input.task_id}__${ds.replace(/-/g, '')}`,
    });
  }
  return ctx;
}
