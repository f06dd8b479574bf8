/**
 * Reschedule mode (sensors) and max_active_tis_per_dag, in the hot-path functions of
 * migration 002 (redefined here in full; only the marked parts differ):
 *  - a task instance that gave its slot back to wait (`up_for_reschedule`, with
 *    `reschedule_at`) is queued again in the same try: try_number does not grow;
 *  - updraft_finish_ti writes the time of the next run to `reschedule_at` for that state;
 *  - task_instance.max_active_tis_per_dag (copied from the task, like pool) caps the
 *    queued + running instances of one task across all runs of its DAG;
 *  - candidates are chosen among tasks whose DAG, pool and task caps have room, so a
 *    backlog held back by one cap never hides work that could run elsewhere.
 */
import type { Knex } from 'knex';
import { FINISH_TI as PREVIOUS_FINISH_TI, QUEUE_SCHEDULED as PREVIOUS_QUEUE_SCHEDULED } from './002_hot_path_functions.ts';

const QUEUE_SCHEDULED = `
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
  task_left jsonb;
  tk text;
  tl int;
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
  -- Room left under each cap first, so that the candidates skip DAGs at max_active_tasks,
  -- full pools and tasks at max_active_tis_per_dag (Airflow's "starved" sets): otherwise
  -- more than p_limit higher-priority tasks held back by one full pool would keep a task
  -- with a free slot elsewhere from ever being looked at.
  select coalesce(jsonb_object_agg(d.dag_id, d.max_active_tasks - (select count(*) from task_instance a
           where a.dag_id = d.dag_id and a.state in ('queued', 'running'))), '{}')
    into dag_left
  from dag d where not d.is_paused and d.dag_id = any(dags);
  select coalesce(jsonb_object_agg(p.pool, p.slots - (select coalesce(sum(a.pool_slots), 0) from task_instance a
           where a.pool = p.pool and a.state in ('queued', 'running'))), '{}')
    into pool_left
  from slot_pool p where p.pool = any(pools);
  -- Per-task caps, for scheduled tasks that have one; the DAG lock held above covers
  -- them, since a task belongs to one DAG.
  select coalesce(jsonb_object_agg(x.k, x.cap - (select count(*) from task_instance a
           where a.dag_id = x.dag_id and a.task_id = x.task_id and a.state in ('queued', 'running'))), '{}')
    into task_left
  from (select distinct t.dag_id, t.task_id, t.dag_id || '/' || t.task_id as k, t.max_active_tis_per_dag as cap
        from task_instance t where t.state = 'scheduled' and t.dag_id = any(dags) and t.max_active_tis_per_dag is not null) x;

  -- Index order (ti_scheduled_idx / ti_scheduled_dag_idx): the scan stops after p_limit rows.
  select coalesce(array_agg(s.id order by s.priority_weight desc, s.run_logical_date nulls last, s.id), '{}') into ids
  from (
    select ti.id, ti.priority_weight, ti.run_logical_date
    from task_instance ti
    where ti.state = 'scheduled' and ti.dag_id = any(dags)
      and coalesce((dag_left ->> ti.dag_id)::int, 0) > 0
      and coalesce((pool_left ->> ti.pool)::int, 0) >= ti.pool_slots
      and (ti.max_active_tis_per_dag is null or coalesce((task_left ->> (ti.dag_id || '/' || ti.task_id))::int, 0) > 0)
      and exists (select 1 from dag_run r where r.id = ti.dag_run_id and r.state = 'running')
    order by ti.priority_weight desc, ti.run_logical_date nulls last, ti.id
    limit p_limit
  ) s;
  if cardinality(ids) = 0 then return; end if;

  -- Greedy in priority order; a paused DAG or a missing pool holds its tasks back.
  for c in select t.id, t.dag_id, t.task_id, t.pool, t.pool_slots, t.max_active_tis_per_dag
           from unnest(ids) with ordinality u(id, ord) join task_instance t on t.id = u.id order by u.ord loop
    dl := (dag_left ->> c.dag_id)::int;
    pl := (pool_left ->> c.pool)::int;
    continue when dl is null or pl is null or dl < 1 or pl < c.pool_slots;
    if c.max_active_tis_per_dag is not null then
      tk := c.dag_id || '/' || c.task_id;
      tl := (task_left ->> tk)::int;
      continue when tl < 1;
      task_left := jsonb_set(task_left, array[tk], to_jsonb(tl - 1));
    end if;
    dag_left := jsonb_set(dag_left, array[c.dag_id], to_jsonb(dl - 1));
    pool_left := jsonb_set(pool_left, array[c.pool], to_jsonb(pl - c.pool_slots));
    chosen := chosen || c.id;
  end loop;

  return query
    -- A rescheduled task (reschedule_at set) goes on in the same try.
    update task_instance t set state = 'queued',
      try_number = t.try_number + case when t.reschedule_at is null then 1 else 0 end, queued_dttm = now(),
      updated_at = now(), next_retry_at = null, reschedule_at = null
    where t.id = any(chosen) and t.state = 'scheduled'
    returning t.id, t.try_number, t.dag_id, t.run_id, t.task_id, t.map_index, t.queue;
end
$fn$`;

const FINISH_TI = `
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
  -- p_next_retry is the next retry (up_for_retry) or the next run (up_for_reschedule).
  update task_instance set state = p_state, end_date = p_end, duration = p_duration,
    next_retry_at = case when p_state = 'up_for_retry' then p_next_retry end,
    reschedule_at = case when p_state = 'up_for_reschedule' then p_next_retry end, updated_at = now()
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

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('task_instance', (t) => {
    t.integer('max_active_tis_per_dag');
  });
  // Keeps the per-task cap lookup off the hot path's cost for the (usual) tasks without one.
  await knex.raw(`create index ti_scheduled_task_cap_idx on task_instance (dag_id, task_id)
    where state = 'scheduled' and max_active_tis_per_dag is not null`);
  await knex.raw(QUEUE_SCHEDULED);
  await knex.raw(FINISH_TI);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists ti_scheduled_task_cap_idx');
  await knex.raw(PREVIOUS_QUEUE_SCHEDULED);
  await knex.raw(PREVIOUS_FINISH_TI);
  await knex.schema.alterTable('task_instance', (t) => {
    t.dropColumn('max_active_tis_per_dag');
  });
}
