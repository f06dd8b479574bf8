// Pipelines (the pipeline API's definitions): a list, and each pipeline's lineage graph:
// upstream pipelines -> datasets -> tasks -> datasets -> downstream pipelines, laid out
// in columns by longest path, from GET /api/v1/pipelines/{id}/lineage.
import { enc, get } from './api.js';
import { fill, h, s } from './dom.js';

const W = 200, H = 34, GAP_X = 60, GAP_Y = 14, PAD = 20;

export async function pipelineListPage(main) {
  const { pipelines } = await get('/api/v1/pipelines?limit=100');
  fill(main, h('div', { class: 'card' },
    h('h1', {}, 'Pipelines'),
    pipelines.length === 0
      ? h('p', { class: 'muted' }, 'No pipelines yet: POST a definition to /api/v1/pipelines.')
      : h('table', { class: 'list', id: 'pipelines' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Pipeline'), h('th', {}, 'Version'), h('th', {}, 'DAG'), h('th', {}, ''))),
        h('tbody', {}, pipelines.map((p) => h('tr', {},
          h('td', {}, h('a', { href: `#/pipelines/${enc(p.id)}` }, p.id)),
          h('td', {}, String(p.version)),
          h('td', {}, h('a', { href: `#/dags/${enc(p.dag_id ?? p.id)}` }, p.dag_id ?? p.id)),
          h('td', {}, h('a', { href: `#/pipelines/${enc(p.id)}` }, 'lineage')))))),
  ));
  return null;
}

/** Longest-path layers; a cycle through datasets is cut after as many passes as there are nodes. */
function layers(nodes, edges) {
  const layer = new Map(nodes.map((n) => [n.id, 0]));
  for (let pass = 0; pass < nodes.length; pass++) {
    let changed = false;
    for (const e of edges) {
      const want = (layer.get(e.from) ?? 0) + 1;
      if (layer.has(e.to) && want > layer.get(e.to) && want <= nodes.length) { layer.set(e.to, want); changed = true; }
    }
    if (!changed) break;
  }
  // A source (nothing flows into it) sits just before its first consumer, not at the far
  // left, so its edge does not cross the other columns.
  const hasInput = new Set(edges.map((e) => e.to));
  for (const n of nodes) {
    if (hasInput.has(n.id)) continue;
    const next = edges.filter((e) => e.from === n.id).map((e) => layer.get(e.to) ?? 1);
    if (next.length) layer.set(n.id, Math.max(0, Math.min(...next) - 1));
  }
  return layer;
}

export async function lineagePage(main, id) {
  const g = await get(`/api/v1/pipelines/${enc(id)}/lineage`);
  const layer = layers(g.nodes, g.edges);
  const rowsInLayer = new Map();
  const pos = new Map();
  for (const n of g.nodes) {
    const l = layer.get(n.id) ?? 0;
    const row = rowsInLayer.get(l) ?? 0;
    rowsInLayer.set(l, row + 1);
    pos.set(n.id, { x: PAD + l * (W + GAP_X), y: PAD + row * (H + GAP_Y) });
  }
  const width = PAD * 2 + (Math.max(0, ...layer.values()) + 1) * (W + GAP_X);
  const height = PAD * 2 + Math.max(1, ...rowsInLayer.values()) * (H + GAP_Y);
  const label = (n) => (n.type === 'task' ? `${n.name} (${n.kind})` : n.type === 'pipeline' ? `${n.relation} pipeline ${n.name}` : `${n.kind} ${n.name}`);
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `lineage of ${id}` },
    s('defs', {}, s('marker', { id: 'lin-arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' },
      s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#888' }))),
    g.edges.map((e) => {
      const a = pos.get(e.from), b = pos.get(e.to);
      if (!a || !b) return null;
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
      return s('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, class: `edge lin-${e.kind}`, 'marker-end': 'url(#lin-arrow)' });
    }),
    g.nodes.map((n) => {
      const p = pos.get(n.id);
      const text = label(n);
      const node = s('g', { class: `lin-node lin-${n.type}`, 'data-node': n.id, transform: `translate(${p.x},${p.y})` },
        s('title', {}, text), s('rect', { width: W, height: H, rx: n.type === 'dataset' ? 16 : 6 }),
        s('text', { x: 10, y: 21 }, text.length > 30 ? `${text.slice(0, 29)}…` : text));
      if (n.type === 'pipeline') node.addEventListener('click', () => { location.hash = `#/pipelines/${enc(n.name)}`; });
      return node;
    }));
  fill(main, h('div', { class: 'card' },
    h('h1', {}, `Lineage of ${id}`, h('span', { class: 'muted' }, ` · version ${g.version}`)),
    h('p', { class: 'muted' }, `Upstream pipelines: ${g.upstream.join(', ') || 'none'} · downstream: ${g.downstream.join(', ') || 'none'} · `,
      h('a', { href: `#/dags/${enc(id)}` }, 'its DAG')),
    h('div', { class: 'graph', id: 'lineage' }, svg)));
  return null;
}
