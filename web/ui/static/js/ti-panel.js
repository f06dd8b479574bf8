// The task instance panel: state, tries, duration, rendered templates, XCom, why it is not
// running, a durable step's or temporal_workflow task's Temporal execution, the log
// (followed every second while the try runs) and the actions.
import { debounce, enc, get, onLive, post } from './api.js';
import { fill, fmtDate, fmtDuration, h, stateBadge, stateBox } from './dom.js';
import { temporalSections } from './durable-panel.js';

export function tiPanel(side, dagId, sel, me) {
  let stopped = false;
  let logTimer = null;
  const base = () => `${enc(dagId)}/${enc(sel.run)}/${enc(sel.task)}`;
  const logBox = h('pre', { class: 'log', id: 'ti-log' });
  const logState = { after: 0, tryNumber: null };

  let logBusy = false;
  async function followLog() {
    // One read at a time: two overlapping reads from the same id would print lines twice.
    if (logBusy || stopped) return;
    clearTimeout(logTimer);
    logTimer = null;
    logBusy = true;
    try {
      const q = new URLSearchParams({ map_index: String(sel.map), after: String(logState.after) });
      if (logState.tryNumber !== null) q.set('try_number', String(logState.tryNumber));
      const log = await get(`/ui/log/${base()}?${q}`);
      for (const l of log.lines) logBox.append(`${fmtDate(l.ts)} ${l.stream === 'stderr' ? '! ' : ''}${l.message}\n`);
      if (log.lines.length) logBox.scrollTop = logBox.scrollHeight;
      logState.after = log.last_id;
      if (log.following) logTimer = setTimeout(followLog, 1000);
    } catch (err) { logBox.append(`(${err.message})\n`); } finally { logBusy = false; }
  }

  function section(title, ...content) { return h('section', {}, h('h3', {}, title), ...content); }

  async function load() {
    let d;
    try { d = await get(`/ui/ti/${base()}?map_index=${sel.map}`); } catch (err) { fill(side, h('p', { class: 'error' }, err.message)); return; }
    if (stopped) return;
    sel.map = d.ti.map_index;
    const ti = d.ti;
    const canEdit = me.role !== 'viewer';
    const msg = h('p', { class: 'muted', id: 'ti-action-msg' });
    const downstream = h('input', { type: 'checkbox', id: 'clear-downstream' });
    const act = (label, id, fn) => h('button', { id, disabled: !canEdit, onclick: async () => {
      msg.textContent = '…';
      try { msg.textContent = await fn(); } catch (err) { msg.textContent = err.message; }
    } }, label);
    if (logState.tryNumber !== null && logState.tryNumber !== ti.try_number) { logState.tryNumber = null; }
    fill(side,
      h('h2', {}, ti.task_id, ti.map_index >= 0 ? ` [${ti.map_index}]` : ''),
      h('p', {}, stateBadge(ti.state), ' ', h('span', { class: 'muted' }, ti.run_id)),
      d.instances.length ? section('Mapped instances', h('div', { class: 'instances' }, d.instances.map((i) =>
        h('button', { class: `link${i.map_index === ti.map_index ? ' selected' : ''}`, onclick: () => { sel.map = i.map_index; reset(); } },
          stateBox(i.state), ` ${i.map_index}`)))) : null,
      h('dl', { class: 'facts' },
        h('dt', {}, 'Try'), h('dd', {}, `${ti.try_number} of ${ti.max_tries + 1}`),
        h('dt', {}, 'Duration'), h('dd', {}, fmtDuration(ti.duration ?? (ti.start_date ? (Date.now() - Date.parse(ti.start_date)) / 1000 : null))),
        h('dt', {}, 'Started'), h('dd', {}, fmtDate(ti.start_date)),
        h('dt', {}, 'Ended'), h('dd', {}, fmtDate(ti.end_date)),
        h('dt', {}, 'Operator'), h('dd', {}, ti.operator),
        h('dt', {}, 'Pool / queue'), h('dd', {}, `${ti.pool} / ${ti.queue}`),
        h('dt', {}, 'Host'), h('dd', {}, ti.hostname ?? '—')),
      h('div', { class: 'actions' },
        act('Clear', 'ti-clear', async () => {
          const r = await post(`/ui/ti/${base()}/clear`, { map_index: ti.map_index, include_downstream: downstream.checked });
          logBox.textContent = ''; logState.after = 0;
          return `Cleared ${r.cleared} task instance${r.cleared === 1 ? '' : 's'}.`;
        }),
        h('label', { class: 'small' }, downstream, ' + downstream'),
        act('Mark success', 'ti-mark-success', async () => { await post(`/ui/ti/${base()}/mark`, { state: 'success', map_index: ti.map_index }); return 'Marked success.'; }),
        act('Mark failed', 'ti-mark-failed', async () => { await post(`/ui/ti/${base()}/mark`, { state: 'failed', map_index: ti.map_index }); return 'Marked failed.'; })),
      msg,
      d.why_not_running?.length ? section('Why is it not running?', h('ul', { id: 'ti-why' }, d.why_not_running.map((w) => h('li', {}, h('b', {}, w.name), ': ', w.reason)))) : null,
      d.tries.length > 1 ? section('Tries', h('table', { class: 'small' }, d.tries.map((t) => h('tr', {},
        h('td', {}, h('button', { class: 'link', onclick: () => { logState.tryNumber = t.try_number; logState.after = 0; logBox.textContent = ''; void followLog(); } }, `#${t.try_number}`)),
        h('td', {}, stateBadge(t.state)), h('td', {}, fmtDuration(t.duration)), h('td', {}, t.error ?? ''))))) : null,
      temporalSections(d, section),
      section('Rendered templates', d.rendered.error ? h('p', { class: 'error' }, d.rendered.error)
        : Object.keys(d.rendered.fields).length === 0 ? h('p', { class: 'muted' }, 'No templated fields.')
          : h('dl', { class: 'rendered', id: 'ti-rendered' }, Object.entries(d.rendered.fields).map(([k, v]) =>
            [h('dt', {}, k), h('dd', {}, h('pre', {}, typeof v === 'string' ? v : JSON.stringify(v, null, 2)))]))),
      section('XCom', d.xcom.length === 0 ? h('p', { class: 'muted' }, 'None.') : h('dl', { class: 'rendered', id: 'ti-xcom' },
        d.xcom.map((x) => [h('dt', {}, x.key), h('dd', {}, h('pre', {}, JSON.stringify(x.value, null, 2)))]))),
      section('Log', logBox),
    );
    if (!logTimer) void followLog();
  }

  function reset() { logBox.textContent = ''; logState.after = 0; logState.tryNumber = null; clearTimeout(logTimer); logTimer = null; void load(); }

  const reload = debounce(() => { void load().then(() => { if (!logTimer) void followLog(); }); }, 200);
  const off = onLive((e) => { if (e.type === 'ti' && e.dag_id === dagId && e.run_id === sel.run && e.task_id === sel.task) reload(); });
  void load();
  return () => { stopped = true; off(); clearTimeout(logTimer); };
}
