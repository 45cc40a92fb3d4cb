// Audit log (admins, plugin audit): newest first, filter by actor and action, paged.
import { h, fill, badge, when, table } from '../dom.js';
import { gql } from '../api.js';

export async function render(root) {
  const actor = h('input#audit-actor', { type: 'search', placeholder: 'actor', 'aria-label': 'Actor' });
  const action = h('input#audit-action', { type: 'search', placeholder: 'action', 'aria-label': 'Action' });
  const list = h('div#audit-list', h('p.muted', 'Loading…'));
  const pager = h('div.toolbar');
  const state = { cursors: [null] };
  fill(root, h('div.toolbar', actor, action), list, pager);
  const load = async () => {
    const f = {};
    if (actor.value.trim()) f.actor = actor.value.trim();
    if (action.value.trim()) f.action = action.value.trim();
    const d = await gql('query($f: AuditLogFilter, $a: String) { auditLogs(filter: $f, first: 100, after: $a) { pageInfo { hasNextPage endCursor } edges { node { seq at actorKind actorName action targetType targetId outcome client } } } }',
      { f, a: state.cursors.at(-1) });
    const c = d.auditLogs;
    fill(list, table([
      { title: '#', cell: e => e.node.seq },
      { title: 'When', cell: e => when(e.node.at) },
      { title: 'Actor', cell: e => `${e.node.actorKind} ${e.node.actorName || ''}` },
      { title: 'Action', cell: e => e.node.action },
      { title: 'Target', cell: e => [e.node.targetType || '', ' ', e.node.targetId || ''] },
      { title: 'Outcome', cell: e => badge(e.node.outcome, e.node.outcome === 'success' ? 'OPERATIONAL' : 'DOWN') },
      { title: 'Client', cell: e => e.node.client || '' },
    ], c.edges, { empty: 'No entry.' }));
    fill(pager,
      h('button.secondary', { type: 'button', disabled: state.cursors.length === 1, on: { click: () => { state.cursors.pop(); load(); } } }, 'Newer'),
      h('button.secondary', { type: 'button', disabled: !c.pageInfo.hasNextPage, on: { click: () => { state.cursors.push(c.pageInfo.endCursor); load(); } } }, 'Older'));
  };
  let typing = null;
  for (const input of [actor, action]) input.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => { state.cursors = [null]; load(); }, 300); });
  await load();
  return () => clearTimeout(typing);
}
