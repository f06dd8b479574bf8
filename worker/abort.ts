/** Why a running task was interrupted by its worker, carried as the AbortSignal's reason. */
import { TaskTimeout } from '../core/errors.ts';

export { TaskTimeout };

/** The worker is stopping and gives the task back to be run elsewhere. */
export class HandBack extends Error {
  override name = 'HandBack';
}

/** Someone else changed the task instance's state (cleared, marked, run timed out). */
export class ExternallyChanged extends Error {
  override name = 'ExternallyChanged';
}

/** How long an aborted task gets to clean up (kill its processes) before we move on. */
const SETTLE_AFTER_ABORT_MS = 6_000;

/**
 * Resolve with the task's result, or reject with the abort reason once the task has
 * settled (or SETTLE_AFTER_ABORT_MS passed: plain JavaScript cannot be killed, so a
 * function that ignores its signal is abandoned, and its result ignored).
 */
export function untilDoneOrAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      const timer = setTimeout(() => reject(signal.reason), SETTLE_AFTER_ABORT_MS);
      work.finally(() => { clearTimeout(timer); reject(signal.reason); }).catch(() => undefined);
    };
    if (signal.aborted) onAbort(); else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => { if (!aborted) { signal.removeEventListener('abort', onAbort); resolve(v); } },
      (e) => { if (!aborted) { signal.removeEventListener('abort', onAbort); reject(e); } },
    );
  });
}
