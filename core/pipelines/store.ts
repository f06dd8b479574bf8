/**
 * Pipelines and their versions. A pipeline is a named declarative DAG definition; each
 * save adds version n+1 (history kept). Validation and making the DAG live (a file in
 * the DAGs folder) belong to the caller, which can do the latter inside the save's
 * transaction through `whileLocked`, so two saves of one name write the file in the
 * order of their versions.
 */
import type { Db } from '../db/connect.ts';
import { rows, type Executor } from '../transitions/sql.ts';

export interface PipelineVersion {
  name: string;
  version: number;
  definition: Record<string, unknown>;
  created_at: Date;
  created_by: string | null;
}

export interface PipelineSummary extends PipelineVersion {
  /** When the pipeline's first version was saved. */
  first_created_at: Date;
}

/** Store `definition` as the next version of `name` (creating the pipeline on first use). */
export async function savePipelineVersion(db: Db, name: string, definition: Record<string, unknown>, user: string | null,
  whileLocked?: (v: PipelineVersion, trx: Executor) => Promise<void>): Promise<PipelineVersion> {
  return db.transaction(async (trx) => {
    await trx.raw('insert into pipeline (name) values (?) on conflict (name) do nothing', [name]);
    // The row lock serializes saves of one name: version numbers never clash.
    const [p] = await rows<{ id: number }>(trx, 'select id from pipeline where name = ? for update', [name]);
    const [v] = await rows<{ version: number; created_at: Date }>(trx, `
      insert into pipeline_version (pipeline_id, version, definition, created_by)
      select ?, coalesce(max(version), 0) + 1, ?, ? from pipeline_version where pipeline_id = ?
      returning version, created_at`, [p!.id, JSON.stringify(definition), user, p!.id]);
    const saved: PipelineVersion = { name, version: v!.version, definition, created_at: v!.created_at, created_by: user };
    if (whileLocked) await whileLocked(saved, trx);
    return saved;
  });
}

const LATEST = `
  select p.name, v.version, v.definition, v.created_at, v.created_by, p.created_at as first_created_at
  from pipeline p
  join lateral (select * from pipeline_version pv where pv.pipeline_id = p.id order by pv.version desc limit 1) v on true`;

export async function latestPipeline(db: Executor, name: string): Promise<PipelineSummary | null> {
  const [row] = await rows<PipelineSummary>(db, `${LATEST} where p.name = ?`, [name]);
  return row ?? null;
}

export async function listPipelines(db: Executor, page: { limit: number; offset: number }):
Promise<{ pipelines: PipelineSummary[]; total_entries: number }> {
  const [count] = await rows<{ n: number }>(db, 'select count(*)::int as n from pipeline');
  const pipelines = await rows<PipelineSummary>(db, `${LATEST} order by p.name limit ? offset ?`, [page.limit, page.offset]);
  return { pipelines, total_entries: count?.n ?? 0 };
}

/** Every pipeline's latest definition (for lineage across pipelines). */
export async function allLatestPipelines(db: Executor): Promise<PipelineSummary[]> {
  return rows<PipelineSummary>(db, `${LATEST} order by p.name`);
}

/** The version history, newest first, without the definitions. */
export async function pipelineVersions(db: Executor, name: string): Promise<Array<Omit<PipelineVersion, 'definition'>>> {
  return rows(db, `select p.name, v.version, v.created_at, v.created_by from pipeline p
    join pipeline_version v on v.pipeline_id = p.id where p.name = ? order by v.version desc`, [name]);
}
