// The DAG list: import errors first (file and message), then every DAG with its pause
// toggle, schedule, next run and recent run states; search and tag filters; live.
import { debounce, enc, get, onLive, post } from './api.js';
import { fill, fmtDate, h, stateBox } from './dom.js';

export async function dagListPage(main, params, me) {
  const search = h('input', { type: 'search', id: 'dag-search', placeholder: 'Search DAGs', value: params.get('search') ?? '' });
  const tagSelect = h('select', { id: 'tag-filter' }, h('option', { value: '' }, 'All tags'));
  const pausedSelect = h('select', { id: 'paused-filter' },
    h('option', { value: 'all' }, 'All'), h('option', { value: 'false' }, 'Active'), h('option', { value: 'true' }, 'Paused'));
  const errors = h('section', { id: 'import-errors' });
  const table = h('table', { class: 'dags', id: 'dag-table' });
  const status = h('p', { class: 'muted' });
  fill(main, h('div', { class: 'toolbar' }, h('h1', {}, 'DAGs'), search, tagSelect, pausedSelect), errors, table, status);
  const canEdit = me.role !== 'viewer';
  let tagsShown = '';

  async function load() {
    const q = new URLSearchParams();
    if (search.value.trim()) q.set('search', search.value.trim());
    if (tagSelect.value) q.append('tags', tagSelect.value);
    q.set('paused', pausedSelect.value);
    let data;
    try { data = await get(`/ui/dags?${q}`); } catch (err) { status.textContent = err.message; return; }
    status.textContent = `${data.dags.length} DAG${data.dags.length === 1 ? '' : 's'}`;
    if (data.tags.join('\n') !== tagsShown) {
      tagsShown = data.tags.join('\n');
      const keep = tagSelect.value;
      fill(tagSelect, h('option', { value: '' }, 'All tags'), ...data.tags.map((t) => h('option', { value: t }, t)));
      tagSelect.value = keep;
    }
    fill(errors, ...(data.import_errors.length ? [
      h('h2', { class: 'error' }, `Import errors (${data.import_errors.length})`),
      ...data.import_errors.map((e) => h('details', { class: 'import-error', open: true },
        h('summary', {}, e.filename, h('span', { class: 'muted' }, ` · ${fmtDate(e.timestamp)}`)), h('pre', {}, e.error))),
    ] : []));
    fill(table,
      h('thead', {}, h('tr', {}, h('th', {}, 'Active'), h('th', {}, 'DAG'), h('th', {}, 'Schedule'), h('th', {}, 'Next run'), h('th', {}, 'Recent runs'))),
      h('tbody', {}, data.dags.map((d) => h('tr', { dataset: { dagId: d.dag_id } },
        h('td', {}, h('label', { class: 'switch', title: d.is_paused ? 'Paused: click to unpause' : 'Active: click to pause' },
          h('input', { type: 'checkbox', class: 'pause-toggle', checked: !d.is_paused, disabled: !canEdit, onchange: async (ev) => {
            ev.target.disabled = true;
            try { await post(`/ui/dags/${enc(d.dag_id)}/pause`, { is_paused: !ev.target.checked }); } catch (err) { alert(err.message); }
            await load();
          } }), h('span', {}))),
        h('td', {}, h('a', { href: `#/dags/${enc(d.dag_id)}`, class: 'dag-link' }, d.dag_id),
          d.is_paused ? h('span', { class: 'tag paused' }, 'paused') : null,
          h('div', { class: 'muted small' }, d.description ?? ''),
          h('div', {}, d.tags.map((t) => h('span', { class: 'tag' }, t)))),
        h('td', {}, h('code', {}, d.schedule ?? 'None')),
        h('td', {}, d.next_dagrun ? fmtDate(d.next_dagrun) : '—'),
        h('td', { class: 'recent' }, d.recent_runs.map((x) => h('a', { href: `#/dags/${enc(d.dag_id)}` },
          stateBox(x.state, { title: `${x.run_id}: ${x.state}` })))),
      ))),
    );
  }

  search.addEventListener('input', debounce(load, 300));
  tagSelect.addEventListener('change', load);
  pausedSelect.addEventListener('change', load);
  await load();
  const reload = debounce(load, 400);
  return onLive((e) => { if (e.type === 'dags' || e.type === 'run') reload(); });
}
