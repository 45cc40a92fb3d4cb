// Services: the node hierarchy as a tree, and one server-side page of services at a time.
import { h, fill, badge, ago, table } from '../dom.js';
import { gql } from '../api.js';
import { subscribe } from '../ws.js';

const STATUSES = ['OPERATIONAL', 'DEGRADED', 'DOWN', 'UNKNOWN', 'MAINTENANCE'];
const PAGE = 50;

const QUERY = `query($filter: ServiceFilter, $first: Int, $after: String, ${STATUSES.map(s => `$f${s}: ServiceFilter`).join(', ')}) {
  services(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id nodeId name displayName status message unknownNode slaGroup lastSeenAt tags } }
  }
  ${STATUSES.map(s => `${s}: services(filter: $f${s}, first: 1) { totalCount }`).join('\n  ')}
}`;

function buildTree(nodes) {
  const byParent = new Map();
  for (const n of nodes) {
    const key = n.parentId || '';
    if (!byParent.has(key)) byParent.set(key, []);
    byParent.get(key).push(n);
  }
  return byParent;
}

export async function render(root, { query, navigate }) {
  const state = {
    node: query.get('node') || '', status: query.get('status') || '', search: query.get('q') || '',
    cursors: [null],
  };
  const search = h('input#svc-search', { type: 'search', value: state.search, placeholder: 'name or display name', 'aria-label': 'Search services' });
  const status = h('select#svc-status', { 'aria-label': 'Status' }, h('option', { value: '' }, 'any status'),
    STATUSES.map(s => h('option', { value: s, selected: s === state.status }, s)));
  const counts = h('div.toolbar#svc-counts', { 'aria-live': 'polite' });
  const list = h('div#svc-list', h('p.muted', 'Loading…'));
  const pager = h('div.toolbar');
  const treeBox = h('nav.panel', { 'aria-label': 'Node hierarchy' }, h('h2', 'Nodes'), h('p.muted', 'Loading…'));
  fill(root, h('div.services-layout', treeBox,
    h('div', h('div.toolbar', h('label.visually-hidden', { for: 'svc-search' }, 'Search'), search, status,
      h('span.muted#svc-node', state.node ? `under ${state.node}` : 'all nodes')), counts, list, pager)));

  const sync = () => {
    const params = new URLSearchParams();
    if (state.node) params.set('node', state.node);
    if (state.status) params.set('status', state.status);
    if (state.search) params.set('q', state.search);
    history.replaceState(null, '', `#/services${params.size ? `?${params}` : ''}`);
  };

  const filter = extra => {
    const f = { ...extra };
    if (state.node) f.nodeId = state.node;
    if (state.search) f.search = state.search;
    return f;
  };

  let loading = 0;
  const load = async () => {
    const mine = ++loading;
    const variables = { filter: filter(state.status ? { status: state.status } : {}), first: PAGE, after: state.cursors.at(-1) };
    for (const s of STATUSES) variables[`f${s}`] = filter({ status: s });
    let data;
    try { data = await gql(QUERY, variables); } catch (error) {
      fill(list, h('p.form-error', { role: 'alert' }, error.message));
      return;
    }
    if (mine !== loading) return;
    const c = data.services;
    fill(counts, STATUSES.map(s => h('button.secondary', {
      type: 'button', 'aria-pressed': String(state.status === s), on: { click: () => { state.status = state.status === s ? '' : s; status.value = state.status; restart(); } },
    }, badge(s), ` ${data[s].totalCount}`)));
    fill(list, h('p.muted', `${c.totalCount} service${c.totalCount === 1 ? '' : 's'}`), table([
      { title: 'Service', cell: e => [h('a', { href: `#/service/${e.node.id}` }, e.node.displayName || e.node.name),
        e.node.unknownNode ? [' ', h('span.badge.unknown-node', { title: 'Reported without a nodeId' }, 'unknown')] : null] },
      { title: 'Node', cell: e => e.node.nodeId },
      { title: 'Status', cell: e => badge(e.node.status) },
      { title: 'SLA group', cell: e => e.node.slaGroup || '' },
      { title: 'Last seen', cell: e => ago(e.node.lastSeenAt) },
      { title: 'Message', cell: e => e.node.message || '' },
    ], c.edges, { empty: 'No service matches.' }));
    const page = state.cursors.length;
    fill(pager,
      h('button.secondary', { type: 'button', disabled: page === 1, on: { click: () => { state.cursors.pop(); load(); } } }, 'Previous page'),
      h('span', `page ${page}`),
      h('button.secondary', { type: 'button', disabled: !c.pageInfo.hasNextPage, on: { click: () => { state.cursors.push(c.pageInfo.endCursor); load(); } } }, 'Next page'));
  };

  const restart = () => { state.cursors = [null]; sync(); load(); };
  let typing = null;
  search.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => { state.search = search.value.trim(); restart(); }, 250); });
  status.addEventListener('change', () => { state.status = status.value; restart(); });

  // The tree: roots first, children on demand; the `unknown` node carries the red badge.
  const renderTree = async () => {
    const data = await gql('{ nodes(first: 500) { id name parentId unknown silent } serviceStatusCounts { nodeId status count } }');
    const byParent = buildTree(data.nodes);
    // Each row counts one node's own services: add them to the node and every ancestor.
    const totals = new Map();
    for (const row of data.serviceStatusCounts) {
      const parts = row.nodeId.split('/');
      for (let i = 1; i <= parts.length; i++) {
        const id = parts.slice(0, i).join('/');
        if (!totals.has(id)) totals.set(id, { all: 0 });
        const t = totals.get(id);
        t.all += row.count;
        t[row.status] = (t[row.status] || 0) + row.count;
      }
    }
    const counts = id => {
      const t = totals.get(id);
      if (!t) return h('span.muted', ' (0)');
      const bad = ['DOWN', 'DEGRADED', 'UNKNOWN'].filter(s => t[s]).map(s => [' ', h('span.badge', { class: `badge s-${s}`, title: `${t[s]} ${s}` }, `${t[s]} ${s.toLowerCase()}`)]);
      return h('span.node-counts', { dataset: { total: t.all } }, h('span.muted', ` (${t.all})`), bad);
    };
    const item = node => {
      const kids = byParent.get(node.id) || [];
      const li = h('li');
      const childList = h('ul.tree', { hidden: true });
      const toggle = kids.length ? h('button', { type: 'button', 'aria-expanded': 'false', 'aria-label': `Expand ${node.name}`,
        on: { click: () => {
          const open = toggle.getAttribute('aria-expanded') !== 'true';
          toggle.setAttribute('aria-expanded', String(open));
          toggle.textContent = open ? '▾' : '▸';
          if (open && !childList.children.length) childList.append(...kids.map(item));
          childList.hidden = !open;
        } } }, '▸') : h('span', { 'aria-hidden': 'true' }, '·');
      const pick = h('button', { type: 'button', 'aria-pressed': String(state.node === node.id), dataset: { node: node.id },
        on: { click: () => {
          state.node = state.node === node.id ? '' : node.id;
          treeBox.querySelectorAll('[data-node]').forEach(b => b.setAttribute('aria-pressed', String(b.dataset.node === state.node)));
          root.querySelector('#svc-node').textContent = state.node ? `under ${state.node}` : 'all nodes';
          restart();
        } } }, node.name);
      li.append(toggle, ' ', pick, counts(node.id), node.unknown ? [' '] : '', node.unknown ? h('span.badge.unknown-node', 'unknown') : '',
        node.silent ? h('span.badge.s-DOWN', ' silent') : '', childList);
      return li;
    };
    const roots = byParent.get('') || [];
    fill(treeBox, h('h2', 'Nodes'), roots.length ? h('ul.tree', { role: 'list' }, roots.map(item)) : h('p.muted', 'No nodes yet.'),
      data.nodes.length >= 500 ? h('p.muted', 'Showing the first 500 nodes.') : null);
  };

  await Promise.all([load(), renderTree().catch(error => fill(treeBox, h('p.form-error', error.message)))]);
  let refresh = null;
  const stop = subscribe('subscription($n: String) { serviceStatusChanged(nodeId: $n) { serviceId } }', state.node ? { n: state.node } : {}, () => {
    if (!refresh) refresh = setTimeout(() => { refresh = null; load(); }, 500);
  });
  return () => { stop(); clearTimeout(refresh); clearTimeout(typing); };
}
