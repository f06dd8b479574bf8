/**
 * Updraft's performance figures (the README's table comes from here):
 *  - hop latency: end of task i to start of task i+1 over a 40-task chain of no-op
 *    tasks (median and p95 over several runs);
 *  - throughput: task instances per second over a 1,000-task fan-out.
 * State lives in PostgreSQL; one scheduler process and one worker process.
 *   npm run bench            (services must be up: bash scripts/services.sh start)
 */
import { triggerDagRun } from '../core/transitions/trigger-run.ts';
import { createBenchInstall, percentile, waitForComponents, waitForRunState } from './setup.ts';

const CHAIN_LENGTH = 40;
const CHAIN_RUNS = Number(process.env.BENCH_CHAIN_RUNS ?? 5);
const FANOUT = 1000;
const FANOUT_RUNS = Number(process.env.BENCH_FANOUT_RUNS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 128);

const chainDag = `
import { DAG, EmptyOperator, chain } from 'updraft';
const dag = new DAG({ dag_id: 'bench_chain', schedule: null, start_date: '2026-01-01' });
chain(...Array.from({ length: ${CHAIN_LENGTH} }, (_, i) => new EmptyOperator({ task_id: 't' + String(i).padStart(2, '0'), dag })));
`;
const fanoutDag = `
import { DAG, EmptyOperator } from 'updraft';
const dag = new DAG({ dag_id: 'bench_fanout', schedule: null, start_date: '2026-01-01', max_active_tasks: ${FANOUT} });
const root = new EmptyOperator({ task_id: 'root', dag });
root.rshift(Array.from({ length: ${FANOUT} }, (_, i) => new EmptyOperator({ task_id: 'leaf' + i, dag })));
`;

async function main(): Promise<void> {
  const install = await createBenchInstall({ 'bench_chain.ts': chainDag, 'bench_fanout.ts': fanoutDag });
  try {
    install.spawn(['scheduler']);
    install.spawn(['worker', '-c', String(CONCURRENCY)]);
    await waitForComponents(install.db, ['scheduler', 'worker']);
    const { db } = install;

    // Warm-up: the first run loads code paths and caches in both processes.
    await waitForRunState(db, (await triggerDagRun(db, { dag_id: 'bench_chain', logical_date: null })).id);

    const hops: number[] = [];
    for (let i = 0; i < CHAIN_RUNS; i++) {
      const run = await triggerDagRun(db, { dag_id: 'bench_chain', logical_date: null });
      const state = await waitForRunState(db, run.id);
      if (state !== 'success') throw new Error(`chain run ${run.run_id} ended ${state}`);
      const r = (await db.raw(`
        select extract(epoch from (b.start_date - a.end_date)) * 1000 as hop_ms
        from task_instance a join task_instance b on b.dag_run_id = a.dag_run_id
          and b.task_id = 't' || lpad(((substr(a.task_id, 2))::int + 1)::text, 2, '0')
        where a.dag_run_id = ?`, [run.id])) as { rows: Array<{ hop_ms: string }> };
      hops.push(...r.rows.map((x) => Number(x.hop_ms)));
      process.stderr.write(`chain run ${i + 1}/${CHAIN_RUNS}: ${r.rows.length} hops\n`);
    }
    hops.sort((a, b) => a - b);

    const rates: number[] = [];
    for (let i = 0; i < FANOUT_RUNS; i++) {
      const run = await triggerDagRun(db, { dag_id: 'bench_fanout', logical_date: null });
      const state = await waitForRunState(db, run.id);
      if (state !== 'success') throw new Error(`fan-out run ${run.run_id} ended ${state}`);
      const r = (await db.raw(`
        select count(*)::int as n, extract(epoch from (max(l.end_date) - root.end_date)) as secs
        from task_instance l join task_instance root on root.dag_run_id = l.dag_run_id and root.task_id = 'root'
        where l.dag_run_id = ? and l.task_id <> 'root' group by root.end_date`, [run.id])) as { rows: Array<{ n: number; secs: string }> };
      const row = r.rows[0]!;
      rates.push(row.n / Number(row.secs));
      // Where the time goes: time in queue (queued -> started), and the longest pause
      // between two consecutive task starts (a stall shows up here).
      const d = (await db.raw(`
        with s as (select start_date, end_date, queued_dttm, lag(start_date) over (order by start_date) as prev
                   from task_instance where dag_run_id = ? and task_id <> 'root')
        select percentile_cont(0.5) within group (order by extract(epoch from start_date - queued_dttm)) * 1000 as wait_p50,
               percentile_cont(0.95) within group (order by extract(epoch from start_date - queued_dttm)) * 1000 as wait_p95,
               max(extract(epoch from start_date - prev)) * 1000 as max_gap,
               percentile_cont(0.5) within group (order by extract(epoch from end_date - start_date)) * 1000 as run_p50,
               (array_agg(start_date order by extract(epoch from start_date - prev) desc nulls last))[1] as gap_at
        from s`, [run.id])) as { rows: Array<{ wait_p50: number; wait_p95: number; max_gap: number; run_p50: number; gap_at: Date }> };
      const x = d.rows[0]!;
      process.stderr.write(`fan-out run ${i + 1}/${FANOUT_RUNS}: ${row.n} tasks in ${Number(row.secs).toFixed(3)} s; `
        + `queue wait p50 ${Number(x.wait_p50).toFixed(1)} ms, p95 ${Number(x.wait_p95).toFixed(1)} ms; longest pause between starts ${Number(x.max_gap).toFixed(1)} ms; start to end p50 ${Number(x.run_p50).toFixed(1)} ms\n`);
    }
    rates.sort((a, b) => a - b);

    const result = {
      machine: `${(await import('node:os')).cpus().length} cores`,
      chain: { tasks: CHAIN_LENGTH, runs: CHAIN_RUNS, hops: hops.length,
        median_ms: +percentile(hops, 50).toFixed(3), p95_ms: +percentile(hops, 95).toFixed(3), max_ms: +hops[hops.length - 1]!.toFixed(3) },
      fanout: { tasks: FANOUT, runs: FANOUT_RUNS, worker_concurrency: CONCURRENCY,
        median_ti_per_s: Math.round(percentile(rates, 50)), min_ti_per_s: Math.round(rates[0]!) },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\n| measure | result | target |\n|---|---|---|\n`
      + `| hop latency, median (${hops.length} hops) | ${result.chain.median_ms} ms | <= 2 ms |\n`
      + `| hop latency, p95 | ${result.chain.p95_ms} ms | <= 5 ms |\n`
      + `| fan-out throughput (${FANOUT} tasks, median of ${FANOUT_RUNS}) | ${result.fanout.median_ti_per_s} TI/s | >= 2,000 TI/s |\n`);
  } finally {
    await install.teardown();
  }
}

main().then(() => process.exit(0), (err: unknown) => { process.stderr.write(`bench failed: ${String(err)}\n`); process.exit(1); });
