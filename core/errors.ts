/**
 * Errors a task can throw to steer its own outcome, carrying the behaviour as data
 * (Airflow's AirflowFailException / AirflowSkipException).
 */
export class UpdraftError extends Error {
  override name = 'UpdraftError';
}

/** Fail the task now, without using its remaining retries. */
export class TaskFailNow extends UpdraftError {
  override name = 'TaskFailNow';
  readonly retryable = false;
}

/** Mark the task skipped; downstream tasks follow their trigger rules. */
export class TaskSkip extends UpdraftError {
  override name = 'TaskSkip';
}

/**
 * Free the worker slot and run the task again at `at`, in the same try (a sensor in
 * reschedule mode): the task instance waits in `up_for_reschedule` meanwhile.
 */
export class TaskReschedule extends UpdraftError {
  override name = 'TaskReschedule';
  constructor(readonly at: Date, message?: string) {
    super(message ?? `rescheduled to ${at.toISOString()}`);
  }
}

/** The task ran past its execution_timeout and was killed. */
export class TaskTimeout extends UpdraftError {
  override name = 'TaskTimeout';
}

/** A user-facing configuration or input problem: printed as one clear line. */
export class UserInputError extends UpdraftError {
  override name = 'UserInputError';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Name-based checks for the errors a task may throw: a DAG file compiled as CommonJS
 * gets its own copy of these classes, so `instanceof` would miss them.
 */
export function isTaskSkip(err: unknown): err is Error {
  return err instanceof Error && err.name === 'TaskSkip';
}

export function isTaskFailNow(err: unknown): err is Error {
  return err instanceof Error && err.name === 'TaskFailNow';
}

export function isTaskReschedule(err: unknown): err is Error & { at: Date } {
  return err instanceof Error && err.name === 'TaskReschedule' && (err as { at?: unknown }).at instanceof Date;
}
