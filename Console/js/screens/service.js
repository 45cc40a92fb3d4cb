// One service: status, SLA charts (5-minute snapshots, daily, monthly), incidents, backups,
// storage and exclusion windows (operators start and stop them here).
import { h, fill, badge, when, ago, pct, bytes, table } from '../dom.js';
import { gql, can } from '../api.js';
import { subscribe } from '../ws.js';
import { lineChart, barChart } from '../charts.js';
import { form } from '../forms.js';

const SERVICE = `query($id: String!) { service(id: $id) { id nodeId name displayName status message criticality serviceType tags namespace
  slaGroup source registered unknownNode expectedIntervalSeconds lastSeenAt statusChangedAt createdAt
  backupStatus { backupExpected lastBackupAt lastBackupStatus backupMaxAgeDays backupOverdue } } }`;

function panel(title, id) {
  const body = h('div', { id }, h('p.muted', 'Loading…'));
  return [h('section.panel', h('h2', title), body), body];
}

const soft = (el, error) => fill(el, h('p.muted', error.code === 'PLUGIN_NOT_LICENSED' ? 'Not licensed: the sla plugin is off.' : error.message));

export async function render(root, { args, heading }) {
  const id = args[0];
  const { service: s } = await gql(SERVICE, { id });
  if (!s) { fill(root, h('p', 'No such service. ', h('a', { href: '#/services' }, 'All services'))); return; }
  heading.textContent = `${s.nodeId}/${s.displayName || s.name}`;
  const status = h('p#service-status', badge(s.status), s.unknownNode ? [' ', h('span.badge.unknown-node', 'unknown node')] : '',
    ` since ${when(s.statusChangedAt)} · last seen ${ago(s.lastSeenAt)}`, s.message ? ` · ${s.message}` : '');
  const facts = h('dl', h('dt', 'SLA group'), h('dd', s.slaGroup || '—'), h('dt', 'Criticality'), h('dd', s.criticality || '—'),
    h('dt', 'Source'), h('dd', s.source), h('dt', 'Tags'), h('dd', s.tags.join(', ') || '—'));
  const [snapPanel, snap] = panel('Last 6 hours (5-minute availability)', 'svc-snapshots');
  const [dailyPanel, daily] = panel('Daily availability this month', 'svc-daily');
  const [monthlyPanel, monthly] = panel('Monthly availability', 'svc-monthly');
  const [historyPanel, history] = panel('Status history', 'svc-history');
  const [incPanel, incidents] = panel('Incidents (90 days)', 'svc-incidents');
  const [backupPanel, backup] = panel('Backups', 'svc-backups');
  const [windowPanel, windows] = panel('Exclusion windows', 'svc-windows');
  const parts = [h('section.panel', status, facts), h('div.grid2', historyPanel, snapPanel, dailyPanel, monthlyPanel, incPanel, backupPanel, windowPanel)];
  let storage = null;
  if (s.tags.includes('storage')) {
    const [storagePanel, body] = panel('Storage fill', 'svc-storage');
    storage = body;
    parts.push(storagePanel);
  }
  fill(root, parts);

  const b = s.backupStatus;
  fill(backup, b.backupExpected
    ? h('p', b.backupOverdue ? badge('overdue', 'DOWN') : badge('on time', 'OPERATIONAL'),
      ` last ${b.lastBackupStatus || 'never'} ${when(b.lastBackupAt)}; expected every ${b.backupMaxAgeDays} days`)
    : h('p.muted', 'No backups expected for this service.'));

  const loadCharts = async () => {
    try {
      const d = await gql('query($id: String!) { slaSnapshotTrend(serviceId: $id, hoursBack: 6) { periodStart actualValue targetValue } }', { id });
      const t = d.slaSnapshotTrend;
      fill(snap, lineChart(t.map(p => ({ label: p.periodStart.slice(11, 16), value: p.actualValue })),
        { title: 'Availability per 5 minutes, percent', unit: '%', max: 100, target: t[0]?.targetValue }));
    } catch (error) { soft(snap, error); }
    try {
      const d = await gql(`query($id: String!) { d: slaTrendData(filter: {serviceId: $id, periodType: "DAILY"}) { periodKey actualValue targetValue }
        m: slaTrendData(filter: {serviceId: $id, periodType: "MONTHLY", monthsBack: 12}) { periodKey actualValue } }`, { id });
      fill(daily, barChart(d.d.map(p => ({ label: p.periodKey.slice(8), value: p.actualValue })), { title: 'Daily availability, percent', unit: '%', max: 100 }));
      fill(monthly, barChart(d.m.map(p => ({ label: p.periodKey, value: p.actualValue })), { title: 'Monthly availability, percent', unit: '%', max: 100 }));
    } catch (error) { soft(daily, error); soft(monthly, error); }
  };

  const historyCursors = [null];
  const loadHistory = async () => {
    const d = await gql(`query($id: String!, $a: String) { serviceHistory(serviceId: $id, first: 10, after: $a) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { from to at message } } } }`, { id, a: historyCursors.at(-1) });
    const c = d.serviceHistory;
    fill(history, table([
      { title: 'When', cell: e => when(e.node.at) },
      { title: 'Change', cell: e => [e.node.from ? [badge(e.node.from), ' → '] : 'first ', badge(e.node.to)] },
      { title: 'Message', cell: e => e.node.message || '' },
    ], c.edges, { empty: 'No change recorded.' }),
    h('div.toolbar',
      h('button.secondary', { type: 'button', disabled: historyCursors.length === 1, on: { click: () => { historyCursors.pop(); loadHistory(); } } }, 'Newer'),
      h('span.muted', `${c.totalCount} changes`),
      h('button.secondary', { type: 'button', disabled: !c.pageInfo.hasNextPage, on: { click: () => { historyCursors.push(c.pageInfo.endCursor); loadHistory(); } } }, 'Older')));
  };

  const loadIncidents = async () => {
    try {
      const d = await gql('query($id: String!) { incidents(serviceId: $id, first: 50, daysBack: 90) { openedAt closedAt open durationMinutes message } }', { id });
      fill(incidents, table([
        { title: 'Opened', cell: i => when(i.openedAt) },
        { title: 'Closed', cell: i => (i.open ? badge('open', 'DOWN') : when(i.closedAt)) },
        { title: 'Minutes', cell: i => i.durationMinutes.toFixed(1) },
        { title: 'Message', cell: i => i.message || '' },
      ], d.incidents, { empty: 'No incident in 90 days.' }));
    } catch (error) { soft(incidents, error); }
  };

  const loadWindows = async () => {
    try {
      const d = await gql('{ exclusionWindows(first: 500) { id serviceId reason startedAt endsAt endedAt active startedBy } }');
      const mine = d.exclusionWindows.filter(w => w.serviceId === s.id);
      const active = mine.find(w => w.active);
      fill(windows, table([
        { title: 'Started', cell: w => when(w.startedAt) },
        { title: 'Ends', cell: w => (w.active ? when(w.endsAt) : when(w.endedAt)) },
        { title: 'Reason', cell: w => w.reason || '' },
        { title: 'By', cell: w => w.startedBy || '' },
      ], mine.slice(0, 10), { empty: 'No exclusion window.' }));
      if (!can('operator')) return;
      if (active) {
        windows.append(h('button.danger', { type: 'button', on: { click: async event => {
          event.target.disabled = true;
          try {
            await gql('mutation($s: String!, $n: String) { stopExclusionWindow(service: $s, nodeId: $n) { id } }', { s: s.name, n: s.nodeId });
          } catch (error) { windows.append(h('p.form-error', { role: 'alert' }, error.message)); }
          await loadWindows();
        } } }, 'Stop the exclusion window'));
      } else {
        windows.append(h('h3', 'Start an exclusion window'), form({
          label: 'Start an exclusion window', submit: 'Start',
          fields: [
            { name: 'reason', label: 'Reason' },
            { name: 'expectedEndAt', label: 'Expected end (UTC, ISO 8601, optional)', placeholder: '2026-12-01T06:00:00Z' },
          ],
          onSubmit: async v => {
            await gql('mutation($s: String!, $n: String, $r: String, $e: String) { startExclusionWindow(service: $s, nodeId: $n, reason: $r, expectedEndAt: $e) { id } }',
              { s: s.name, n: s.nodeId, r: v.reason || null, e: v.expectedEndAt || null });
            await loadWindows();
          },
        }));
      }
    } catch (error) { soft(windows, error); }
  };

  const loadStorage = async () => {
    if (!storage) return;
    const d = await gql('query($id: String!) { storageHistory(serviceId: $id, first: 200) { edges { node { usedPercent usedBytes allocatedBytes state reportedAt } } } }', { id });
    const points = d.storageHistory.edges.map(e => e.node).reverse();
    const last = points.at(-1);
    fill(storage, last ? h('p', badge(last.state), ` ${bytes(last.usedBytes)} of ${bytes(last.allocatedBytes)} used (${pct(last.usedPercent, 1)})`) : '',
      lineChart(points.map(p => ({ label: p.reportedAt.slice(5, 16).replace('T', ' '), value: p.usedPercent })), { title: 'Used space, percent', unit: '%', min: 0, max: 100, target: 90 }));
  };

  await Promise.all([loadHistory().catch(error => soft(history, error)), loadCharts(), loadIncidents(), loadWindows(), loadStorage().catch(error => soft(storage, error))]);
  const stop = subscribe('subscription($s: String) { serviceStatusChanged(serviceId: $s) { newStatus message at } }', { s: id }, d => {
    const e = d.serviceStatusChanged;
    fill(status, badge(e.newStatus), ` since ${when(e.at)}`, e.message ? ` · ${e.message}` : '');
    historyCursors.length = 1;
    loadHistory().catch(() => {});
    loadIncidents();
  });
  return stop;
}
