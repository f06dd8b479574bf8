/**
 * The task instance panel's Temporal sections (docs/adr/0006):
 * - "Durable step": the execution a durable task instance is attached to
 *   (task_instance.external_executor_id, see core/durable/plan.ts), every activity attempt
 *   recorded in durable_attempt, and a link to the workflow in a Temporal web UI.
 * - "Temporal workflow": the execution a `temporal_workflow` task started or signalled, from
 *   the XCom it pushes as soon as the execution is known.
 * Built on the server, not in the browser: the link comes from the server's config
 * (UPDRAFT_TEMPORAL_UI_URL, none when unset), and whether an attempt without an outcome is
 * still running or was lost with its worker needs the other attempts and the TI's state.
 */
import { z } from 'zod';
import type { Config } from '../../core/config.ts';
import type { Db } from '../../core/db/connect.ts';
import { parseAttachment, runWorkflowId, stepWorkflowId } from '../../core/durable/plan.ts';
import { listAttempts, type DurableAttemptRow } from '../../core/durable/store.ts';
import { WORKFLOW_XCOM_KEY } from '../../operators/temporal/workflow-operator.ts';

/**
 * As recorded by the activity (success, skipped, reschedule, failed), or, with no outcome:
 * `running` (the latest attempt of a task instance that is not finished) or `lost` (its
 * worker stopped without reporting: a later attempt exists, or the task instance is over).
 */
export type AttemptOutcome = 'success' | 'skipped' | 'reschedule' | 'failed' | 'running' | 'lost';

export interface DurableAttemptView {
  attempt: number;
  activity_id: string;
  workflow_run_id: string;
  hostname: string | null;
  worker_id: string | null;
  start_date: Date;
  end_date: Date | null;
  /** Seconds; null while the attempt has no end. */
  duration: number | null;
  /** An AttemptOutcome. */
  outcome: string;
  error: string | null;
  /** This attempt's execution in the Temporal UI (a cleared or rescheduled step's attempts span several). */
  link: string | null;
}

export interface DurableStepView {
  /** `step`: a workflow of its own; `run`: an update of its run's workflow (run_as_workflow); null: not known any more. */
  mode: 'step' | 'run' | null;
  workflow_id: string;
  /** The workflow update that is this task (mode `run`). */
  update_id: string | null;
  namespace: string;
  /** The execution of the latest attempt; null before the first attempt started. */
  run_id: string | null;
  /** The workflow in the Temporal UI; null when UPDRAFT_TEMPORAL_UI_URL is not set. */
  link: string | null;
  attempts: DurableAttemptView[];
}

export interface TemporalWorkflowView { workflow_id: string; run_id: string | null; namespace: string; link: string | null }

const FINISHED = ['success', 'failed', 'skipped', 'upstream_failed', 'removed'];

/**
 * A workflow's page in the Temporal UI. Without a run id, the workflow's own address, which
 * the Temporal UI redirects to its latest run. Only http(s) bases: the config accepts any URL,
 * and a `javascript:` one would run in the UI's origin when clicked.
 */
export function temporalLink(base: string | null, namespace: string, workflowId: string, runId: string | null): string | null {
  if (!base || !/^https?:\/\//i.test(base)) return null;
  const workflow = `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${workflow}/${encodeURIComponent(runId)}/history` : workflow;
}

function attemptViews(rows: DurableAttemptRow[], tiFinished: boolean, link: (a: DurableAttemptRow) => string | null): DurableAttemptView[] {
  return rows.map((a) => {
    const superseded = rows.some((b) => b.workflow_run_id === a.workflow_run_id && b.activity_id === a.activity_id && b.attempt > a.attempt);
    const open: AttemptOutcome = superseded || tiFinished ? 'lost' : 'running';
    return {
      attempt: a.attempt, activity_id: a.activity_id, workflow_run_id: a.workflow_run_id, hostname: a.hostname, worker_id: a.worker_id,
      start_date: a.start_date, end_date: a.end_date,
      duration: a.end_date ? (a.end_date.getTime() - a.start_date.getTime()) / 1000 : null,
      outcome: a.outcome ?? open, error: a.error, link: link(a),
    };
  });
}

/** The durable step of a task instance, or null when it never was one (no attachment, no attempt). */
export async function durableStepView(db: Db, config: Pick<Config, 'temporalNamespace' | 'temporalUiUrl'>,
  ti: { id: number; dag_id: string; run_id: string; task_id: string; map_index: number; state: string | null; external_executor_id: string | null }): Promise<DurableStepView | null> {
  const attachment = parseAttachment(ti.external_executor_id);
  const rows = await listAttempts(db, ti.id);
  const latest = rows.at(-1);
  const workflowId = attachment?.workflowId ?? latest?.workflow_id;
  if (workflowId === undefined) return null;
  // A cleared task instance loses its attachment but keeps its attempts: the workflow id still tells the mode.
  const mode = attachment?.mode ?? (workflowId === stepWorkflowId(ti) ? 'step' : workflowId === runWorkflowId(ti) ? 'run' : null);
  // The latest attempt of THIS workflow id: after a re-attachment elsewhere, an older one's run would be wrong.
  const runId = rows.filter((a) => a.workflow_id === workflowId).at(-1)?.workflow_run_id ?? null;
  const namespace = config.temporalNamespace;
  return {
    mode, workflow_id: workflowId, update_id: attachment?.mode === 'run' ? attachment.updateId : null, namespace, run_id: runId,
    link: temporalLink(config.temporalUiUrl, namespace, workflowId, runId),
    attempts: attemptViews(rows, FINISHED.includes(ti.state ?? ''),
      (a) => temporalLink(config.temporalUiUrl, namespace, a.workflow_id, a.workflow_run_id)),
  };
}

const WorkflowXcom = z.object({ workflow_id: z.string().min(1), run_id: z.string().min(1).nullish(), namespace: z.string().min(1) });

/** The execution a temporal_workflow task reported in its XCom; null without one (or with a value of another shape). */
export function temporalWorkflowView(config: Pick<Config, 'temporalUiUrl'>, xcom: { key: string; value: unknown }[]): TemporalWorkflowView | null {
  const parsed = WorkflowXcom.safeParse(xcom.find((x) => x.key === WORKFLOW_XCOM_KEY)?.value);
  if (!parsed.success) return null;
  const { workflow_id: workflowId, namespace } = parsed.data;
  const runId = parsed.data.run_id ?? null;
  return { workflow_id: workflowId, run_id: runId, namespace, link: temporalLink(config.temporalUiUrl, namespace, workflowId, runId) };
}
