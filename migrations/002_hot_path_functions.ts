/**
 * The hot path as two PostgreSQL functions, so that finishing a task and queuing what
 * became ready is one round trip and one commit instead of about ten (measured on the
 * 2-core CI machine: ~0.1-0.3 ms per round trip, a 40-task chain went from 4.3 ms to
 * the figures in the README per hop). Trigger-rule logic stays in TypeScript: callers
 * pass, per downstream task, the set of upstream states that makes it ready
 * (core/rules/ready-condition.ts), or null to get the states back and decide themselves.
 *
 * Locking (no deadlocks by construction):
 *  1. the finishing task instance row, then the undecided downstream rows in id order;
 *     a second upstream finishing at the same moment waits here and, in its next
 *     statement, sees the first one's committed state;
 *  2. transaction-level advisory locks for every DAG and pool involved, taken in one
 *     sorted pass, held to commit: every path that queues work takes them, so caps are
 *     counted (in a later statement, hence a fresh snapshot) without races;
 *  3. candidate rows with SKIP LOCKED, which never waits.
 */
import type { Knex } from 'knex';

export const QUEUE_SCHEDULED = `
create or replace function updraft_queue_scheduled(p_dag_id text, p_pools text[], p_limit int, p_wait boolean)
returns table (ti_id bigint, try_number int, dag_id text, run_id text, task_id text, map_index int, queue text)
language plpgsql as $fn$
#variable_conflict use_column
declare
  dags text[];
  pools text[];
  k bigint;
  ids bigint[];
  chosen bigint[] := '{}';
  dag_left jsonb;
  pool_left jsonb;
  c record;
  dl int;
  pl int;
begin
  -- Which caps are involved: the caller's DAG and its pools, or (scheduler) every DAG
  -- and pool with scheduled work.
  if p_dag_id is not null then
    dags := array[p_dag_id];
    pools := p_pools;
  end if;
  if pools is null then
    select array_agg(distinct t.dag_id), array_agg(distinct t.pool) into dags, pools
    from task_instance t where t.state = 'scheduled' and (p_dag_id is null or t.dag_id = p_dag_id);
  end if;
  if dags is null then return; end if;

  -- Cap locks: DAGs then pools, each sorted, so blocking lockers never deadlock. A
  -- finishing task only tries: if another queuer holds a lock, that one is counting and
  -- queuing right now, and the caller is told (a row with null ti_id) so it can refill
  -- a moment later off the hot path. (Not NOTIFY: PostgreSQL serializes the commits of
  -- notifying transactions, which capped the fan-out at ~700 tasks/s.)
  for k in select hashtextextended('updraft.dag:' || x, 0) from unnest(dags) x order by 1 loop
    if p_wait then perform pg_advisory_xact_lock(k);
    elsif not pg_try_advisory_xact_lock(k) then return query select null::bigint, null::int, null::text, null::text, null::text, null::int, null::text; return; end if;
  end loop;
  for k in select hashtextextended('updraft.pool:' || x, 0) from unnest(pools) x order by 1 loop
    if p_wait then perform pg_advisory_xact_lock(k);
    elsif not pg_try_advisory_xact_lock(k) then return query select null::bigint, null::int, null::text, null::text, null::text, null::int, null::text; return; end if;
  end loop;

  -- Later statements: their snapshots include everything committed before the locks.
  -- Index order (ti_scheduled_dag_idx): the scan stops after p_limit rows.
  select coalesce(array_agg(s.id order by s.priority_weight desc, s.run_logical_date nulls last, s.id), '{}') into ids
  from (
    select ti.id, ti.priority_weight, ti.run_logical_date
    from task_instance ti
    where ti.state = 'scheduled' and ti.dag_id = any(dags)
      and exists (select 1 from dag_run r where r.id = ti.dag_run_id and r.state = 'running')
    order by ti.priority_weight desc, ti.run_logical_date nulls last, ti.id
    limit p_limit
  ) s;
  if cardinality(ids) = 0 then return; end if;
  select coalesce(jsonb_object_agg(d.dag_id, d.max_active_tasks - (select count(*) from task_instance a
           where a.dag_id = d.dag_id and a.state in ('queued', 'running'))), '{}')
    into dag_left
  from dag d where not d.is_paused and d.dag_id = any(dags);
  select coalesce(jsonb_object_agg(p.pool, p.slots - (select coalesce(sum(a.pool_slots), 0) from task_instance a
           where a.pool = p.pool and a.state in ('queued', 'running'))), '{}')
    into pool_left
  from slot_pool p where p.pool = any(pools);

  -- Greedy in priority order; a paused DAG or a missing pool holds its tasks back.
  for c in select t.id, t.dag_id, t.pool, t.pool_slots
           from unnest(ids) with ordinality u(id, ord) join task_instance t on t.id = u.id order by u.ord loop
    dl := (dag_left ->> c.dag_id)::int;
    pl := (pool_left ->> c.pool)::int;
    continue when dl is null or pl is null or dl < 1 or pl < c.pool_slots;
    dag_left := jsonb_set(dag_left, array[c.dag_id], to_jsonb(dl - 1));
    pool_left := jsonb_set(pool_left, array[c.pool], to_jsonb(pl - c.pool_slots));
    chosen := chosen || c.id;
  end loop;

  return query
    update task_instance t set state = 'queued', try_number = t.try_number + 1, queued_dttm = now(),
      updated_at = now(), next_retry_at = null, reschedule_at = null
    where t.id = any(chosen) and t.state = 'scheduled'
    returning t.id, t.try_number, t.dag_id, t.run_id, t.task_id, t.map_index, t.queue;
end
$fn$`;

export const FINISH_TI = `
create or replace function updraft_finish_ti(
  p_ti_id bigint, p_try int, p_expected text, p_state text, p_end timestamptz, p_duration float8,
  p_next_retry timestamptz, p_error text, p_xcom jsonb, p_down jsonb, p_pools text[], p_queue_limit int,
  p_refill boolean default true)
returns jsonb
language plpgsql as $fn$
#variable_conflict use_column
declare
  v_run bigint;
  v_task text;
  v_map int;
  v_dag text;
  d record;
  ok boolean;
  states jsonb;
  ready bigint[] := '{}';
  not_ready jsonb := '[]';
  jobs jsonb;
  busy boolean := false;
  done boolean := false;
begin
  update task_instance set state = p_state, end_date = p_end, duration = p_duration,
    next_retry_at = p_next_retry, updated_at = now()
  where id = p_ti_id and state = p_expected and try_number = p_try
  returning dag_run_id, task_id, map_index, dag_id into v_run, v_task, v_map, v_dag;
  if not found then return jsonb_build_object('finished', false); end if;

  -- The try's own outcome: a try that will be retried still failed.
  update task_instance_try set state = case when p_state = 'up_for_retry' then 'failed' else p_state end,
    end_date = p_end, duration = p_duration, error = p_error
  where ti_id = p_ti_id and try_number = p_try;
  if p_xcom is not null then
    insert into xcom (dag_run_id, task_id, map_index, key, value) values (v_run, v_task, v_map, 'return_value', p_xcom)
    on conflict (dag_run_id, task_id, map_index, key) do update set value = excluded.value, timestamp = now();
  end if;

  for d in select t.id, t.task_id, x.others, x.ok
           from task_instance t
           join jsonb_to_recordset(coalesce(p_down, '[]')) as x(task_id text, others text[], ok text[])
             on x.task_id = t.task_id
           where t.dag_run_id = v_run and t.map_index = -1 and t.state is null
           order by t.id
           for update of t loop
    if cardinality(d.others) = 0 then
      ok := true;
      states := '{}';
    else
      select coalesce(bool_and(coalesce(o.state, 'none') = any(coalesce(d.ok, '{}'))), true),
             coalesce(jsonb_object_agg(o.task_id, o.state), '{}')
        into ok, states
      from task_instance o where o.dag_run_id = v_run and o.map_index = -1 and o.task_id = any(d.others);
    end if;
    if d.ok is not null and ok then
      ready := ready || d.id;
    else
      not_ready := not_ready || jsonb_build_object('task_id', d.task_id, 'states', states);
    end if;
  end loop;
  if cardinality(ready) > 0 then
    update task_instance set state = 'scheduled', scheduled_dttm = now(), updated_at = now() where id = any(ready);
  end if;

  -- Refill: the slot this task freed, plus what just became ready. Skipped when the DAG
  -- has nothing scheduled (a chain's common case), so no cap lock is taken at all.
  jobs := '[]';
  if p_refill and exists (select 1 from task_instance s where s.dag_id = v_dag and s.state = 'scheduled') then
    select coalesce(jsonb_agg(to_jsonb(q)) filter (where q.ti_id is not null), '[]'), coalesce(bool_or(q.ti_id is null), false)
      into jobs, busy
    from updraft_queue_scheduled(v_dag, p_pools, p_queue_limit, false) q;
  end if;
  if jsonb_array_length(jobs) = 0 and jsonb_array_length(not_ready) = 0 and not busy then
    select not exists (select 1 from task_instance where dag_run_id = v_run
      and (state is null or state not in ('success', 'failed', 'skipped', 'upstream_failed', 'removed'))) into done;
  end if;
  return jsonb_build_object('finished', true, 'dag_run_id', v_run, 'dag_id', v_dag, 'jobs', jobs, 'not_ready', not_ready, 'queue_busy', busy, 'run_may_be_done', done);
end
$fn$`;

/**
 * Several finishes of tasks without downstream tasks (a busy worker's batch), then one
 * refill per DAG for the whole batch instead of one per task: under a 1,000-task fan-out
 * the refills were most of PostgreSQL's work. Rows with a null ti_id carry the refills.
 */
const FINISH_TIS = `
create or replace function updraft_finish_tis(p_items jsonb, p_queue_limit int)
returns table (ti_id bigint, r jsonb)
language plpgsql as $fn$
#variable_conflict use_column
declare
  x record;
  reply jsonb;
  dag_pools jsonb := '{}';
  d record;
  jobs jsonb;
  busy boolean;
begin
  for x in select * from jsonb_to_recordset(p_items) as i(ti_id bigint, try int, expected text, state text,
             end_date timestamptz, duration float8, next_retry timestamptz, error text, xcom jsonb, down jsonb,
             pools text[], qlimit int)
           order by i.ti_id loop
    reply := updraft_finish_ti(x.ti_id, x.try, x.expected, x.state, x.end_date, x.duration, x.next_retry,
      x.error, x.xcom, x.down, x.pools, x.qlimit, false);
    ti_id := x.ti_id;
    r := reply;
    return next;
    if (reply ->> 'finished')::boolean then
      dag_pools := dag_pools || jsonb_build_object(reply ->> 'dag_id', to_jsonb(x.pools));
    end if;
  end loop;
  for d in select key as dag_id, array(select jsonb_array_elements_text(value)) as pools from jsonb_each(dag_pools) order by key loop
    continue when not exists (select 1 from task_instance s where s.dag_id = d.dag_id and s.state = 'scheduled');
    select coalesce(jsonb_agg(to_jsonb(q)) filter (where q.ti_id is not null), '[]'), coalesce(bool_or(q.ti_id is null), false)
      into jobs, busy
    from updraft_queue_scheduled(d.dag_id, d.pools, p_queue_limit, false) q;
    ti_id := null;
    r := jsonb_build_object('refill_dag', d.dag_id, 'jobs', jobs, 'queue_busy', busy);
    return next;
  end loop;
end
$fn$`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(QUEUE_SCHEDULED);
  await knex.raw(FINISH_TI);
  await knex.raw(FINISH_TIS);
  // Unfinished task instances of a run: "is this run done?" after every leaf finishes.
  await knex.raw(`create index ti_unfinished_idx on task_instance (dag_run_id)
    where state is null or state not in ('success', 'failed', 'skipped', 'upstream_failed', 'removed')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists ti_unfinished_idx');
  await knex.raw('drop function if exists updraft_finish_tis');
  await knex.raw('drop function if exists updraft_finish_ti');
  await knex.raw('drop function if exists updraft_queue_scheduled');
}
