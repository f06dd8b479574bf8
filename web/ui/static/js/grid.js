// The grid: runs as columns (oldest left, each with a duration bar), tasks as rows (groups
// collapsible, mapped tasks with their instance count), squares in state colours. A click
// on a square opens the task instance panel. Live events re-read the grid (three queries).
import { debounce, enc, get, onLive } from './api.js';
import { fill, fmtDate, fmtDuration, h } from './dom.js';
import { tiPanel } from './ti-panel.js';
import { dominant } from './states.js';

const collapsed = new Set(JSON.parse(sessionStorage.getItem('updraft.collapsed') ?? '[]'));

export function gridView(body, dagId, initial, params, me) {
  const table = h('div', { class: 'grid-wrap' });
  const side = h('aside', { class: 'ti-panel', id: 'ti-panel' }, h('p', { class: 'muted' }, 'Select a square to see its task instance.'));
  fill(body, h('div', { class: 'grid-layout' }, table, side));
  let data = initial;
  let selected = params.get('run') && params.get('task') ? { run: params.get('run'), task: params.get('task'), map: Number(params.get('map') ?? -1) } : null;
  let panelCleanup = null;

  function select(run, task) {
    selected = { run, task, map: -1 };
    history.replaceState(null, '', `#/dags/${enc(dagId)}/grid?run=${enc(run)}&task=${enc(task)}`);
    openPanel();
    render();
  }

  function openPanel() {
    panelCleanup?.();
    panelCleanup = selected ? tiPanel(side, dagId, selected, me) : null;
  }

  function hiddenByGroup(row) {
    for (let p = row.parent; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : null) if (collapsed.has(p)) return true;
    return false;
  }

  function groupCell(groupId, runId) {
    const states = [];
    for (const r of data.rows) if (r.kind === 'task' && (r.parent === groupId || r.parent?.startsWith(`${groupId}.`))) {
      const c = data.cells[r.id]?.[runId];
      if (c) states.push(c.state);
    }
    return states.length ? dominant(states) : undefined;
  }

  function render() {
    const maxDur = Math.max(1, ...data.runs.map((r) => r.duration ?? 0));
    const head = h('tr', {}, h('th', { class: 'task-col' }, ''),
      data.runs.map((r) => h('th', { class: 'run-col', title: `${r.run_id}\n${r.state} · ${fmtDate(r.logical_date ?? r.run_after)}\nduration ${fmtDuration(r.duration)}` },
        h('div', { class: 'bar-box' }, h('div', { class: `bar st-${r.state}`, dataset: { runId: r.run_id }, style: { height: `${Math.max(4, 60 * (r.duration ?? 0) / maxDur)}px` } })))));
    const rows = data.rows.filter((r) => !hiddenByGroup(r)).map((r) => {
      const label = r.kind === 'group'
        ? h('button', { class: 'group-toggle link', dataset: { group: r.id }, onclick: () => {
          if (collapsed.has(r.id)) collapsed.delete(r.id); else collapsed.add(r.id);
          sessionStorage.setItem('updraft.collapsed', JSON.stringify([...collapsed]));
          render();
        } }, `${collapsed.has(r.id) ? '▸' : '▾'} ${r.label}`)
        : h('span', { title: `${r.id} (${r.operator ?? 'removed'})` }, r.label, r.mapped ? h('span', { class: 'muted' }, ' [ ]') : null);
      return h('tr', { dataset: { row: r.id } }, h('td', { class: 'task-col', style: { paddingLeft: `${6 + 14 * r.depth}px` } }, label),
        data.runs.map((run) => {
          if (r.kind === 'group') {
            const st = groupCell(r.id, run.run_id);
            return h('td', {}, st === undefined ? '' : h('span', { class: `sq group st-${st ?? 'none'}`, title: `${r.id}: ${st ?? 'none'}` }));
          }
          const c = data.cells[r.id]?.[run.run_id];
          if (!c) return h('td', {});
          const isSel = selected && selected.run === run.run_id && selected.task === r.id;
          const summary = Object.entries(c.states).map(([k, n]) => `${k}: ${n}`).join(', ');
          return h('td', {}, h('button', {
            class: `sq cell st-${c.state ?? 'none'}${isSel ? ' selected' : ''}`, dataset: { task: r.id, run: run.run_id, state: c.state ?? 'none' },
            title: `${r.id} · ${run.run_id}\n${c.count > 1 || r.mapped ? `${c.count} mapped: ${summary}` : c.state ?? 'none'}`,
            onclick: () => select(run.run_id, r.id),
          }, r.mapped ? String(c.count) : ''));
        }));
    });
    fill(table, data.runs.length === 0 ? h('p', { class: 'muted' }, 'No runs yet. Trigger one, or wait for the schedule.') : null,
      h('table', { class: 'grid', id: 'grid' }, h('thead', {}, head), h('tbody', {}, rows)));
  }

  render();
  if (selected) openPanel();
  const reload = debounce(async () => {
    try { data = await get(`/ui/grid/${enc(dagId)}?limit=25`); render(); } catch { /* the next event retries */ }
  }, 300);
  const off = onLive((e) => { if ((e.type === 'run' || e.type === 'ti') && e.dag_id === dagId) reload(); });
  return () => { off(); panelCleanup?.(); };
}
