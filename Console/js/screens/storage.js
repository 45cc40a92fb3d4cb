// Storage: every storage service with allocated / used / free and its state (latest push), and
// the fill history of the one picked. Refreshed on storage alerts and every 3 s while open.
import { h, fill, badge, bytes, ago, when, table } from '../dom.js';
import { gql } from '../api.js';
import { subscribe } from '../ws.js';
import { lineChart } from '../charts.js';

const QUERY = `query($first: Int, $after: String, $filter: StorageFilter) {
  storageSummary(filter: $filter) { volumes healthy warning critical unreported }
  storageVolumes(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { service { id nodeId name unknownNode } current { allocatedBytes usedBytes freeBytes freePercent usedPercent state storageType mountPath reportedAt } } }
  }
}`;

export async function render(root, { query }) {
  const state = { search: query.get('q') || '', cursors: [null], picked: query.get('service') };
  const search = h('input#storage-search', { type: 'search', value: state.search, 'aria-label': 'Search storage services', placeholder: 'service name' });
  const summary = h('div.tiles#storage-summary');
  const list = h('div#storage-list', h('p.muted', 'Loading…'));
  const pager = h('div.toolbar');
  const history = h('section.panel#storage-history', { 'aria-live': 'polite' }, h('p.muted', 'Pick a volume to see its fill history.'));
  fill(root, summary, h('div.toolbar', search), list, pager, history);

  const showHistory = async (id, label) => {
    state.picked = id;
    const data = await gql(`query($id: String!) { storageHistory(serviceId: $id, first: 200) { totalCount edges { node { usedPercent usedBytes allocatedBytes state reportedAt } } } }`, { id });
    const points = data.storageHistory.edges.map(e => e.node).reverse();
    fill(history, h('h2', `Fill history: ${label}`),
      lineChart(points.map(p => ({ label: when(p.reportedAt).slice(5, 16), value: p.usedPercent })),
        { title: `Used space of ${label}, percent`, unit: '%', min: 0, max: 100, target: 90 }),
      h('p.muted', `${data.storageHistory.totalCount} reports; the dashed line is the critical threshold (90 % used).`));
  };

  let loading = 0;
  const load = async () => {
    const mine = ++loading;
    const filter = state.search ? { search: state.search } : null;
    const data = await gql(QUERY, { first: 50, after: state.cursors.at(-1), filter });
    if (mine !== loading) return;
    const s = data.storageSummary;
    fill(summary,
      h('div.tile', h('div.n', s.volumes), h('div.l', 'storage services')),
      h('div.tile', h('div.n', s.critical), h('div.l', badge('critical'))),
      h('div.tile', h('div.n', s.warning), h('div.l', badge('warning'))),
      h('div.tile', h('div.n', s.healthy), h('div.l', badge('healthy'))));
    const c = data.storageVolumes;
    fill(list, table([
      { title: 'Service', cell: e => [h('a', { href: `#/service/${e.node.service.id}` }, e.node.service.name),
        e.node.service.unknownNode ? [' ', h('span.badge.unknown-node', 'unknown')] : null] },
      { title: 'Node', cell: e => e.node.service.nodeId },
      { title: 'Allocated', cell: e => bytes(e.node.current?.allocatedBytes) },
      { title: 'Used', cell: e => bytes(e.node.current?.usedBytes) },
      { title: 'Free', cell: e => e.node.current ? `${e.node.current.freePercent} %` : '—' },
      { title: 'State', cell: e => e.node.current ? badge(e.node.current.state) : 'no report' },
      { title: 'Type / mount', cell: e => [e.node.current?.storageType || '', ' ', e.node.current?.mountPath || ''] },
      { title: 'Reported', cell: e => ago(e.node.current?.reportedAt) },
      { title: 'History', cell: e => h('button.secondary', { type: 'button', on: { click: () => showHistory(e.node.service.id, `${e.node.service.nodeId}/${e.node.service.name}`) } }, 'Show') },
    ], c.edges, { empty: 'No storage reported yet: agents push to POST /api/v1/storage/report.' }));
    const page = state.cursors.length;
    fill(pager,
      h('button.secondary', { type: 'button', disabled: page === 1, on: { click: () => { state.cursors.pop(); load(); } } }, 'Previous page'),
      h('span', `page ${page} of ${Math.max(1, Math.ceil(c.totalCount / 50))}`),
      h('button.secondary', { type: 'button', disabled: !c.pageInfo.hasNextPage, on: { click: () => { state.cursors.push(c.pageInfo.endCursor); load(); } } }, 'Next page'));
  };

  let typing = null;
  search.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => { state.search = search.value.trim(); state.cursors = [null]; load(); }, 250); });
  await load();
  if (state.picked) showHistory(state.picked, 'selected volume').catch(() => {});
  const poll = setInterval(() => load().catch(() => {}), 3000);
  const stop = subscribe('subscription { slaAlert { kind } }', {}, d => { if (d.slaAlert.kind.startsWith('storage')) load().catch(() => {}); });
  return () => { clearInterval(poll); clearTimeout(typing); stop(); };
}
