// Which state a summary square shows when several differ: the worst first, as Airflow's grid.
const PRIORITY = ['failed', 'upstream_failed', 'up_for_retry', 'up_for_reschedule', 'queued', 'scheduled', 'deferred',
  'running', 'restarting', null, 'success', 'skipped', 'removed'];

export function dominant(states) {
  let best = states[0] ?? null;
  for (const st of states) if (PRIORITY.indexOf(st) < PRIORITY.indexOf(best)) best = st;
  return best;
}
