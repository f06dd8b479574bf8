// The graph of one run (the latest by default): tasks in columns by topological depth,
// edges as curves, boxes in state colours that follow the run live. A click on a task
// opens it in the grid's task instance panel.
import { debounce, enc, get, onLive } from './api.js';
import { fill, h, s } from './dom.js';

const W = 190, H = 36, GAP_X = 70, GAP_Y = 18, PAD = 20;

export async function graphView(body, dagId, grid, params) {
  const runs = grid.runs;
  const picker = h('select', { id: 'graph-run' }, runs.slice().reverse().map((r) => h('option', { value: r.run_id }, `${r.run_id} (${r.state})`)));
  picker.value = params.get('run') ?? runs.at(-1)?.run_id ?? '';
  const holder = h('div', { class: 'graph', id: 'graph' });
  fill(body, h('div', { class: 'toolbar' }, runs.length ? h('label', {}, 'Run ', picker) : h('span', { class: 'muted' }, 'No runs yet: the DAG\'s structure.')), holder);

  async function draw() {
    const q = picker.value ? `?run_id=${enc(picker.value)}` : '';
    const g = await get(`/ui/graph/${enc(dagId)}${q}`);
    const x = (n) => PAD + n.layer * (W + GAP_X);
    const y = (n) => PAD + n.position * (H + GAP_Y);
    const byId = new Map(g.nodes.map((n) => [n.id, n]));
    const width = PAD * 2 + (Math.max(0, ...g.nodes.map((n) => n.layer)) + 1) * (W + GAP_X);
    const height = PAD * 2 + (Math.max(0, ...g.nodes.map((n) => n.position)) + 1) * (H + GAP_Y);
    const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `graph of ${dagId}` },
      s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' },
        s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#888' }))),
      g.edges.map((e) => {
        const a = byId.get(e.from), b = byId.get(e.to);
        if (!a || !b) return null;
        const x1 = x(a) + W, y1 = y(a) + H / 2, x2 = x(b), y2 = y(b) + H / 2, mx = (x1 + x2) / 2;
        return s('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, class: 'edge', 'marker-end': 'url(#arrow)' });
      }),
      g.nodes.map((n) => {
        const node = s('g', { class: `node st-${n.state ?? 'none'}`, 'data-task': n.id, 'data-state': n.state ?? 'none', transform: `translate(${x(n)},${y(n)})` },
          s('title', {}, `${n.id} (${n.operator}) ${n.state ?? 'none'}${n.mapped ? ` · ${n.count} mapped` : ''}`),
          s('rect', { width: W, height: H, rx: 6 }),
          s('rect', { class: 'state-strip', width: 8, height: H, rx: 3 }),
          s('text', { x: 16, y: 15 }, n.id.length > 24 ? `…${n.id.slice(-23)}` : n.id),
          s('text', { x: 16, y: 29, class: 'op' }, `${n.operator}${n.mapped ? ` [${n.count}]` : ''} · ${n.state ?? 'none'}`));
        if (g.run) node.addEventListener('click', () => { location.hash = `#/dags/${enc(dagId)}/grid?run=${enc(g.run.run_id)}&task=${enc(n.id)}`; });
        return node;
      }));
    fill(holder, svg);
  }

  picker.addEventListener('change', () => { void draw(); });
  await draw();
  const redraw = debounce(() => { void draw().catch(() => undefined); }, 300);
  return onLive((e) => { if ((e.type === 'ti' || e.type === 'run') && e.dag_id === dagId && (!picker.value || e.run_id === picker.value)) redraw(); });
}
