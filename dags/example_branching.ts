/**
 * Branching and conditions: `choose` follows the weekday or the weekend path (the other
 * is skipped) and the join runs with none_failed_min_one_success; `has_orders`
 * short-circuits the rest when there is nothing to do; `only_latest` lets `refresh`
 * run only in the latest scheduled run (or a manual one); `kick_taskflow` triggers
 * another DAG and waits for it. Task callbacks log each outcome.
 */
import {
  DAG, BashOperator, EmptyOperator, LatestOnlyOperator, TriggerDagRunOperator, branch, shortCircuit, type TaskCallback,
} from 'updraft';

const logOutcome: TaskCallback = (ctx) => ctx.log.info(`callback: ${ctx.task_id} finished`);

const dag = new DAG({
  dag_id: 'example_branching',
  schedule: '@daily',
  start_date: '2026-01-01',
  catchup: false,
  tags: ['example', 'branching'],
  params: { orders: 3 },
  default_args: { on_success_callback: logOutcome, on_skipped_callback: logOutcome },
});

const choose = branch({ task_id: 'choose', dag }, (ctx) => {
  const day = (ctx.logical_date ?? new Date()).getUTCDay();
  return day === 0 || day === 6 ? 'weekend' : 'weekday';
});
const weekday = new BashOperator({ task_id: 'weekday', dag, bash_command: 'echo "full refresh"' });
const weekend = new BashOperator({ task_id: 'weekend', dag, bash_command: 'echo "light refresh"' });
const join = new EmptyOperator({ task_id: 'join', dag, trigger_rule: 'none_failed_min_one_success' });
choose.rshift([weekday, weekend]);
join.lshift([weekday, weekend]);

const hasOrders = shortCircuit({ task_id: 'has_orders', dag }, (ctx) => Number(ctx.params.orders) > 0);
const onlyLatest = new LatestOnlyOperator({ task_id: 'only_latest', dag });
const refresh = new BashOperator({ task_id: 'refresh', dag, bash_command: 'echo "refreshing {{ params.orders }} orders"' });
const kick = new TriggerDagRunOperator({
  task_id: 'kick_taskflow', dag, trigger_dag_id: 'example_taskflow', conf: { multiplier: 3 },
  wait_for_completion: true, poke_interval: 0.5,
});
join.rshift(hasOrders).rshift(onlyLatest).rshift(refresh).rshift(kick);
