// The trigger form: run id, logical date, conf as JSON. Conf must parse as a JSON object
// (checked here as you type) and match the DAG's params (checked by the server, which
// names each wrong field).
import { enc, post } from './api.js';
import { fill, h } from './dom.js';

export function triggerView(body, dagId, dag) {
  const runId = h('input', { id: 'trigger-run-id', placeholder: 'generated when empty', size: 40 });
  const withDate = h('input', { type: 'checkbox', id: 'trigger-with-date' });
  const date = h('input', { type: 'datetime-local', id: 'trigger-logical-date', step: 1, disabled: true });
  withDate.addEventListener('change', () => { date.disabled = !withDate.checked; });
  const conf = h('textarea', { id: 'trigger-conf', rows: 10, cols: 60, spellcheck: false }, JSON.stringify(dag.params ?? {}, null, 2));
  const errors = h('ul', { class: 'error', id: 'trigger-errors' });
  const parseConf = () => {
    try {
      const v = JSON.parse(conf.value.trim() || '{}');
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return { error: 'conf must be a JSON object, e.g. {"key": "value"}' };
      return { value: v };
    } catch (err) { return { error: `conf is not valid JSON: ${err.message}` }; }
  };
  conf.addEventListener('input', () => { const p = parseConf(); fill(errors, ...(p.error ? [h('li', {}, p.error)] : [])); });
  const form = h('form', { class: 'card trigger', id: 'trigger-form', onsubmit: async (ev) => {
    ev.preventDefault();
    const p = parseConf();
    if (p.error) { fill(errors, h('li', {}, p.error)); return; }
    const req = { conf: p.value, dag_run_id: runId.value.trim() || null, logical_date: null };
    if (withDate.checked) {
      if (!date.value) { fill(errors, h('li', {}, 'Choose a logical date, or untick the box.')); return; }
      req.logical_date = new Date(`${date.value}Z`).toISOString(); // the form's time is UTC, as shown
    }
    try {
      const run = await post(`/ui/dags/${enc(dagId)}/trigger`, req);
      location.hash = `#/dags/${enc(dagId)}/grid?run=${enc(run.run_id)}`;
    } catch (err) {
      fill(errors, ...(Array.isArray(err.detail)
        ? err.detail.map((d) => h('li', {}, `${d.loc.slice(1).join('.')}: ${d.msg}`))
        : [h('li', {}, err.message)]));
    }
  } },
  h('h2', {}, `Trigger ${dagId}`),
  h('label', {}, 'Run id', runId),
  h('label', {}, withDate, ' Logical date (UTC) ', date, h('span', { class: 'muted small' }, ' unticked: no logical date, as Airflow 3')),
  h('label', {}, 'Conf (JSON; params shown with their defaults)', conf),
  errors,
  h('button', { type: 'submit', class: 'primary', id: 'trigger-submit' }, 'Trigger'));
  fill(body, form);
  return null;
}
