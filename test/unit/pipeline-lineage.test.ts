/**
 * Pipeline lineage: tables read and written by SQL text (the tokenizer must not be
 * fooled by strings, comments, quoted names, CTEs or templates), datasets per task, and
 * the graph across pipelines. Pure apart from reading the seed pipeline from dags/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { lineageGraph, taskLineage } from '../../core/pipelines/lineage.ts';
import { sqlTables, tableName } from '../../core/pipelines/sql-tables.ts';

const SEED = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../dags/daily_revenue_pipeline.json'), 'utf8')) as Record<string, unknown>;
const reads = (sql: string) => sqlTables(sql).reads;

describe('pipeline lineage: tables in SQL', () => {
  it('finds FROM and JOIN tables, qualified or not, with or without aliases', () => {
    expect(reads('SELECT * FROM orders')).to.deep.equal(['orders']);
    expect(reads('select o.id from sales.orders o inner join crm.customers as c on c.id = o.cid left outer join x.y using (id)'))
      .to.deep.equal(['crm.customers', 'sales.orders', 'x.y']);
    expect(reads('select * from a, b bb, c as cc where a.id = bb.id')).to.deep.equal(['a', 'b', 'c']);
    expect(reads('SELECT * FROM Raw.Orders')).to.deep.equal(['raw.orders']);
    expect(reads('select * from public.events join events e2 on true')).to.deep.equal(['events']);
  });

  it('looks into subqueries, IN lists and lateral joins, but not into function calls', () => {
    expect(reads('select * from (select id from inner_t) s join lateral (select * from lat_t where lat_t.id = s.id) l on true'))
      .to.deep.equal(['inner_t', 'lat_t']);
    expect(reads('select extract(year from d), substring(s from 2), trim(both \'x\' from y) from t1 where id in (select id from t2)'))
      .to.deep.equal(['t1', 't2']);
    expect(reads('select * from generate_series(1, 3) g, real_table')).to.deep.equal(['real_table']);
    expect(reads('select a is distinct from b from t3')).to.deep.equal(['t3']);
  });

  it('does not count CTE names as datasets, but the tables inside CTEs', () => {
    const sql = `WITH RECURSIVE recent (id) AS (SELECT id FROM sales.orders), "Top" AS MATERIALIZED (SELECT * FROM recent)
      SELECT * FROM recent JOIN "Top" ON true JOIN dim.region r ON true`;
    expect(reads(sql)).to.deep.equal(['dim.region', 'sales.orders']);
  });

  it('skips string literals, dollar quotes and comments (nested ones too)', () => {
    const sql = `select 'from fake_a', E'it\\'s from fake_b', $$ from fake_c $$, $t$ join fake_d $t$ -- from fake_e
      /* from fake_f /* from fake_g */ join fake_h */ from real_one where s = 'a '' from fake_i'`;
    expect(reads(sql)).to.deep.equal(['real_one']);
  });

  it('keeps quoted identifiers as PostgreSQL does: case kept, quotes only where needed', () => {
    expect(reads('select * from "Sales"."Order Items" join "plain".t on true')).to.deep.equal(['"Sales"."Order Items"', 'plain.t']);
    expect(reads('select * from "we""ird"')).to.deep.equal(['"we""ird"']);
  });

  it('ignores Jinja and ${...} parts: a templated table name is unknown, not a table', () => {
    expect(reads("select * from {{ params.table }} join known k on true where d = '{{ ds }}' {# from fake #}")).to.deep.equal(['known']);
    expect(reads('select * from ${source} s, other')).to.deep.equal(['other']);
    expect(reads('{% if x %} select * from a {% endif %}')).to.deep.equal(['a']);
  });

  it('finds written tables: INSERT INTO, UPDATE, DELETE FROM, CREATE TABLE ... AS, TRUNCATE; not FOR UPDATE or ON CONFLICT DO UPDATE', () => {
    const sql = `insert into out.t (a, b) select a, b from src on conflict (a) do update set b = excluded.b;
      update tgt set x = o.x from other o where o.id = tgt.id; delete from gone where true;
      create table if not exists made as select * from base; truncate table emptied; select * from locked for update`;
    expect(sqlTables(sql)).to.deep.equal({ reads: ['base', 'locked', 'other', 'src'], writes: ['emptied', 'gone', 'made', 'out.t', 'tgt'] });
  });

  it('reads the seed pipeline\'s SQL', () => {
    const tasks = SEED.tasks as Array<{ query?: string }>;
    expect(reads(tasks[0]!.query!)).to.deep.equal(['raw.orders']);
    expect(reads(tasks[1]!.query!)).to.deep.equal(['staging.orders_daily']);
  });

  it('parses table names in arguments and refuses templated ones', () => {
    expect(tableName('Staging.Orders')).to.equal('staging.orders');
    expect(tableName('"Mixed".t')).to.equal('"Mixed".t');
    expect(tableName('out_{{ ds_nodash }}')).to.equal(null);
  });
});

describe('pipeline lineage: tasks and graph', () => {
  it('gives each seed task its reads and writes; the quality check reads its upstream\'s output', () => {
    const ids = taskLineage(SEED).map((t) => ({ task: t.task_id, reads: t.reads.map((d) => d.id), writes: t.writes.map((d) => d.id) }));
    expect(ids).to.deep.equal([
      { task: 'extract_orders', reads: ['table:raw.orders'], writes: ['table:staging.orders_daily'] },
      { task: 'transform_revenue', reads: ['table:staging.orders_daily'], writes: ['table:analytics.revenue_by_region'] },
      { task: 'quality_check', reads: ['table:analytics.revenue_by_region'], writes: [] },
      { task: 'notify', reads: [], writes: [] },
    ]);
  });

  it('recognizes topics, sinks, assets and an explicit quality table, in task groups too', () => {
    const def = { name: 'p', tasks: [
      { id: 'produce', type: 'kafka_produce', topic: 'orders', task_group: 'io' },
      { id: 'consume', type: 'kafka_consume', topics: ['payments', 'refunds'] },
      { id: 'sense', type: 'kafka_sensor', topic: 'alerts' },
      { id: 'ship', type: 'bash', sinks: [{ name: 's3://bucket/out' }, 'warehouse'], outlets: ['asset://x'] },
      { id: 'check', type: 'quality', table: 'Dim.Region', depends_on: ['ship'] },
    ] };
    const byTask = Object.fromEntries(taskLineage(def).map((t) => [t.task_id, { r: t.reads.map((d) => d.id), w: t.writes.map((d) => d.id) }]));
    expect(byTask).to.deep.equal({
      'io.produce': { r: [], w: ['topic:orders'] },
      consume: { r: ['topic:payments', 'topic:refunds'], w: [] },
      sense: { r: ['topic:alerts'], w: [] },
      ship: { r: [], w: ['sink:s3://bucket/out', 'sink:warehouse', 'asset:asset://x'] },
      check: { r: ['table:dim.region'], w: [] },
    });
  });

  it('links upstream and downstream pipelines through shared datasets', () => {
    const upstream = { name: 'ingest', definition: { name: 'ingest', tasks: [{ id: 'load', type: 'sql', query: 'select 1', output: 'raw.orders' }] } };
    const downstream = { name: 'report', definition: { name: 'report', tasks: [{ id: 'r', type: 'sql', query: 'select * from analytics.revenue_by_region' }] } };
    const unrelated = { name: 'other', definition: { name: 'other', tasks: [{ id: 'o', type: 'sql', query: 'select * from elsewhere' }] } };
    const g = lineageGraph('daily', SEED, [upstream, downstream, unrelated, { name: 'daily', definition: SEED }]);
    expect(g.upstream).to.deep.equal(['ingest']);
    expect(g.downstream).to.deep.equal(['report']);
    expect(g.nodes.filter((n) => n.type === 'pipeline').map((n) => [n.name, n.relation])).to.deep.equal([['ingest', 'upstream'], ['report', 'downstream']]);
    expect(g.edges).to.deep.include({ from: 'pipeline:ingest', to: 'table:raw.orders', kind: 'writes' });
    expect(g.edges).to.deep.include({ from: 'table:analytics.revenue_by_region', to: 'pipeline:report', kind: 'reads' });
    expect(g.edges).to.deep.include({ from: 'table:raw.orders', to: 'task:daily/extract_orders', kind: 'reads' });
    expect(g.edges).to.deep.include({ from: 'task:daily/extract_orders', to: 'task:daily/transform_revenue', kind: 'depends_on' });
    const ids = new Set(g.nodes.map((n) => n.id));
    for (const e of g.edges) expect(ids.has(e.from) && ids.has(e.to), `${e.from} -> ${e.to}`).to.equal(true);
  });
});
