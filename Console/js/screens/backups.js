// Backups: every service that expects backups, overdue first (server-side order and paging).
import { h, fill, badge, when, table } from '../dom.js';
import { gql } from '../api.js';

export async function render(root) {
  const state = { cursors: [null], overdueOnly: false };
  const only = h('input#backups-overdue', { type: 'checkbox' });
  const list = h('div#backup-list', h('p.muted', 'Loading…'));
  const pager = h('div.toolbar');
  fill(root, h('div.toolbar', h('label', only, ' overdue only')), list, pager);
  const load = async () => {
    const d = await gql(`query($o: Boolean, $a: String) { backupServices(overdueOnly: $o, first: 50, after: $a) { totalCount pageInfo { hasNextPage endCursor }
      edges { node { id nodeId name slaGroup backupStatus { lastBackupAt lastBackupStatus backupMaxAgeDays backupOverdue } } } } }`,
    { o: state.overdueOnly, a: state.cursors.at(-1) });
    const c = d.backupServices;
    fill(list, h('p.muted', `${c.totalCount} services expect backups`), table([
      { title: 'Service', cell: e => h('a', { href: `#/service/${e.node.id}` }, `${e.node.nodeId}/${e.node.name}`) },
      { title: 'State', cell: e => (e.node.backupStatus.backupOverdue ? badge('overdue', 'DOWN') : badge('on time', 'OPERATIONAL')) },
      { title: 'Last result', cell: e => e.node.backupStatus.lastBackupStatus || 'never' },
      { title: 'Last backup', cell: e => when(e.node.backupStatus.lastBackupAt) },
      { title: 'Max age', cell: e => `${e.node.backupStatus.backupMaxAgeDays} d` },
      { title: 'SLA group', cell: e => e.node.slaGroup || '' },
    ], c.edges, { empty: 'No service expects backups: backup reports (POST /api/v1/backup/report) set the expectation.' }));
    fill(pager,
      h('button.secondary', { type: 'button', disabled: state.cursors.length === 1, on: { click: () => { state.cursors.pop(); load(); } } }, 'Previous page'),
      h('button.secondary', { type: 'button', disabled: !c.pageInfo.hasNextPage, on: { click: () => { state.cursors.push(c.pageInfo.endCursor); load(); } } }, 'Next page'));
  };
  only.addEventListener('change', () => { state.overdueOnly = only.checked; state.cursors = [null]; load(); });
  await load();
}
