// The task instance panel's Temporal sections: a durable step's workflow and its activity
// attempts, and the workflow a temporal_workflow task started. The server builds the links
// (only from UPDRAFT_TEMPORAL_UI_URL, http(s) only); everything else is text through h().
import { fmtDate, fmtDuration, h } from './dom.js';

// An attempt's outcome in the colour of the task state it leads to; `lost` (its worker
// stopped without reporting) has none.
const OUTCOME_COLOUR = { success: 'success', failed: 'failed', skipped: 'skipped', running: 'running', reschedule: 'up_for_reschedule' };

function outcomeBadge(outcome) {
  return h('span', { class: `badge st-${OUTCOME_COLOUR[outcome] ?? 'none'}` }, outcome);
}

function temporalLink(link, id) {
  return link ? h('a', { href: link, target: '_blank', rel: 'noopener noreferrer', id }, 'Open in Temporal UI') : null;
}

function modeText(step) {
  if (step.mode === 'step') return 'own workflow';
  if (step.mode === 'run') return `run workflow, update ${step.update_id ?? '—'}`;
  return '—';
}

// The panel is narrow: times as "MM-DD HH:MM:SS" (UTC, the full instant on hover), an end on
// its start's day as the time alone.
function shortTime(iso, sameDayAs) {
  if (!iso) return h('span', {}, '—');
  const full = fmtDate(iso);
  const text = sameDayAs && full.slice(0, 10) === fmtDate(sameDayAs).slice(0, 10) ? full.slice(11, 19) : full.slice(5, 19);
  return h('time', { datetime: iso, title: full }, text);
}

function attemptsTable(attempts) {
  if (attempts.length === 0) return h('p', { class: 'muted' }, 'No attempt has started yet.');
  // A cleared or rescheduled step ran in several executions of its workflow: say which attempt ran in which.
  const several = new Set(attempts.map((a) => a.workflow_run_id)).size > 1;
  const execution = (a) => {
    const short = a.workflow_run_id.slice(0, 8);
    return h('td', { title: a.workflow_run_id }, a.link ? h('a', { href: a.link, target: '_blank', rel: 'noopener noreferrer' }, short) : short);
  };
  const columns = ['#', several ? 'Execution' : null, 'Worker', 'Start', 'End', 'Duration', 'Outcome'].filter(Boolean);
  // An error gets a row of its own under its attempt: messages are long, the columns are not.
  return h('div', { class: 'attempts-wrap' }, h('table', { class: 'small attempts', id: 'ti-durable-attempts' },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { title: c === '#' ? 'activity attempt' : null }, c)))),
    h('tbody', {}, attempts.map((a) => [
      h('tr', { class: 'attempt' },
        h('td', {}, `#${a.attempt}`),
        several ? execution(a) : null,
        h('td', { title: a.worker_id ?? '' }, a.hostname ?? '—'),
        h('td', {}, shortTime(a.start_date)),
        h('td', {}, shortTime(a.end_date, a.start_date)),
        h('td', {}, fmtDuration(a.duration ?? (a.outcome === 'running' ? (Date.now() - Date.parse(a.start_date)) / 1000 : null))),
        h('td', {}, outcomeBadge(a.outcome))),
      a.error ? h('tr', { class: 'attempt-error' }, h('td', { colspan: columns.length }, a.error)) : null,
    ]))));
}

/** The sections for a /ui/ti answer (none for an ordinary task). `section(title, ...content)` is the panel's. */
export function temporalSections(d, section) {
  const out = [];
  const step = d.durable_step;
  if (step) {
    out.push(section('Durable step', h('dl', { class: 'facts', id: 'ti-durable' },
      h('dt', {}, 'Workflow'), h('dd', { class: 'wrap' }, step.workflow_id),
      h('dt', {}, 'Mode'), h('dd', {}, modeText(step)),
      h('dt', {}, 'Execution'), h('dd', { class: 'wrap' }, step.run_id ?? '—'),
      h('dt', {}, 'Namespace'), h('dd', {}, step.namespace)),
    temporalLink(step.link, 'ti-durable-link'),
    attemptsTable(step.attempts)));
  }
  const wf = d.temporal_workflow;
  if (wf) {
    out.push(section('Temporal workflow', h('dl', { class: 'facts', id: 'ti-temporal-workflow' },
      h('dt', {}, 'Workflow'), h('dd', { class: 'wrap' }, wf.workflow_id),
      h('dt', {}, 'Execution'), h('dd', { class: 'wrap' }, wf.run_id ?? '—'),
      h('dt', {}, 'Namespace'), h('dd', {}, wf.namespace)),
    temporalLink(wf.link, 'ti-temporal-workflow-link')));
  }
  return out;
}
