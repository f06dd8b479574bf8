// One DAG: a header (pause toggle, schedule, tabs) and the chosen view: grid with the task
// instance panel, graph of a run, code, or the trigger form.
import { enc, get, post } from './api.js';
import { fill, h } from './dom.js';
import { gridView } from './grid.js';
import { graphView } from './graph.js';
import { triggerView } from './trigger.js';

export async function dagPage(main, dagId, view, params, me) {
  const grid = await get(`/ui/grid/${enc(dagId)}?limit=25`);
  const dag = grid.dag;
  const canEdit = me.role !== 'viewer';
  const toggle = h('input', { type: 'checkbox', id: 'dag-pause', checked: !dag.is_paused, disabled: !canEdit, onchange: async () => {
    toggle.disabled = true;
    try { await post(`/ui/dags/${enc(dagId)}/pause`, { is_paused: !toggle.checked }); } catch (err) { alert(err.message); toggle.checked = !toggle.checked; }
    toggle.disabled = !canEdit;
  } });
  const tab = (name, label) => h('a', { href: `#/dags/${enc(dagId)}/${name}`, class: `tab${view === name ? ' active' : ''}`, id: `tab-${name}` }, label);
  const body = h('div', { class: 'dag-body' });
  fill(main,
    h('div', { class: 'toolbar' },
      h('label', { class: 'switch', title: 'Active / paused' }, toggle, h('span', {})),
      h('h1', {}, dagId),
      h('code', { class: 'muted' }, dag.timetable_description ?? 'None'),
      dag.tags.map((t) => h('span', { class: 'tag' }, t)),
      h('span', { class: 'spacer' }),
      canEdit ? h('a', { href: `#/dags/${enc(dagId)}/trigger`, class: 'button primary', id: 'trigger-button' }, '▶ Trigger') : null),
    h('nav', { class: 'tabs' }, tab('grid', 'Grid'), tab('graph', 'Graph'), tab('code', 'Code')),
    body,
  );
  if (view === 'graph') return graphView(body, dagId, grid, params);
  if (view === 'trigger') return triggerView(body, dagId, dag);
  if (view === 'code') {
    const code = await get(`/ui/code/${enc(dagId)}`);
    fill(body, h('p', { class: 'muted' }, `${code.fileloc} · version ${code.version_number}`),
      h('pre', { class: 'code', id: 'dag-code' }, code.source_code ?? '(source not stored)'));
    return null;
  }
  return gridView(body, dagId, grid, params, me);
}
