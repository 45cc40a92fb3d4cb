// Overview: status counts first (the first meaningful paint), then SLA, incidents, backups,
// storage and silent nodes; every part refreshes on the live events that concern it.
import { h, fill, badge, pct, when, ago, table } from '../dom.js';
import { gql } from '../api.js';
import { subscribe } from '../ws.js';
import { budgetBar } from '../charts.js';

const STATUSES = ['OPERATIONAL', 'DEGRADED', 'DOWN', 'UNKNOWN', 'MAINTENANCE'];
const COUNTS = `{ total: services(first: 1) { totalCount } ${STATUSES.map(s =>
  `${s}: services(filter: {status: "${s}"}, first: 1) { totalCount }`).join(' ')} }`;

function section(title, id) {
  const body = h('div', { id }, h('p.muted', 'Loading…'));
  return [h('section.panel', { 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h` }, title), body), body];
}

function softError(el, error) {
  fill(el, h('p.muted', error.code === 'PLUGIN_NOT_LICENSED' ? 'Not licensed: the sla plugin is off.' : error.message));
}

export async function render(root) {
  const tiles = h('div.tiles#status-tiles', { 'aria-live': 'polite' });
  const [slaPanel, sla] = section('SLA this month', 'ov-sla');
  const [incPanel, incidents] = section('Open incidents', 'ov-incidents');
  const [backupPanel, backups] = section('Overdue backups', 'ov-backups');
  const [storagePanel, storage] = section('Storage', 'ov-storage');
  const [nodesPanel, nodes] = section('Silent nodes', 'ov-nodes');
  const feed = h('ul.feed#live-feed', { 'aria-live': 'polite' });
  const feedPanel = h('section.panel', { 'aria-labelledby': 'ov-feed-h' }, h('h2#ov-feed-h', 'Live changes'),
    h('p.muted#feed-empty', 'Status changes, incidents and alerts appear here as they happen.'), feed);
  fill(root, tiles, h('div.grid2', feedPanel, slaPanel, incPanel, backupPanel, storagePanel, nodesPanel));

  const loadCounts = async () => {
    const data = await gql(COUNTS);
    fill(tiles,
      h('a.tile', { href: '#/services', dataset: { count: 'total' } }, h('div.n', data.total.totalCount), h('div.l', 'services')),
      STATUSES.map(s => h('a.tile', { href: `#/services?status=${s}`, dataset: { count: s } },
        h('div.n', data[s].totalCount), h('div.l', badge(s)))));
  };

  const loadSLA = async () => {
    try {
      const data = await gql(`{ slaDashboardStats { totalServices servicesWithSla metCount atRiskCount breachedCount averageUptime }
        slaErrorBudgets { scope scopeId name targetValue actualValue status remainingFraction remainingMinutes } }`);
      const st = data.slaDashboardStats;
      const groups = data.slaErrorBudgets.filter(b => b.scope === 'group');
      fill(sla,
        h('div.tiles',
          h('div.tile', h('div.n', st.metCount), h('div.l', badge('met', 'MET'))),
          h('div.tile', h('div.n', st.atRiskCount), h('div.l', badge('at risk', 'AT_RISK'))),
          h('div.tile', h('div.n', st.breachedCount), h('div.l', badge('breached', 'BREACHED'))),
          h('div.tile', h('div.n', pct(st.averageUptime, 3)), h('div.l', `mean uptime of ${st.servicesWithSla} services with an SLA`))),
        table([
          { title: 'SLA group', cell: b => b.name },
          { title: 'Status', cell: b => badge(b.status || '—', b.status || 'UNKNOWN') },
          { title: 'Uptime / target', cell: b => `${pct(b.actualValue, 3)} / ${pct(b.targetValue, 2)}` },
          { title: 'Error budget left', cell: b => [budgetBar(b.remainingFraction, `Error budget left for ${b.name}`),
            `${Math.round(b.remainingMinutes)} min`] },
        ], groups, { empty: 'No SLA groups yet.' }));
    } catch (error) { softError(sla, error); }
  };

  const loadIncidents = async () => {
    try {
      const data = await gql('{ incidents(openOnly: true, first: 20) { id serviceId serviceName nodeId openedAt durationMinutes message } }');
      fill(incidents, table([
        { title: 'Service', cell: i => h('a', { href: `#/service/${i.serviceId}` }, `${i.nodeId}/${i.serviceName}`) },
        { title: 'Since', cell: i => ago(i.openedAt) },
        { title: 'Message', cell: i => i.message || '' },
      ], data.incidents, { empty: 'No open incident.' }));
    } catch (error) { softError(incidents, error); }
  };

  const loadBackups = async () => {
    const data = await gql('{ backupServices(overdueOnly: true, first: 10) { totalCount edges { node { id nodeId name backupStatus { lastBackupAt backupMaxAgeDays } } } } }');
    const c = data.backupServices;
    fill(backups, h('p', h('strong', c.totalCount), ' overdue. ', h('a', { href: '#/backups' }, 'All backups')),
      table([
        { title: 'Service', cell: e => h('a', { href: `#/service/${e.node.id}` }, `${e.node.nodeId}/${e.node.name}`) },
        { title: 'Last backup', cell: e => when(e.node.backupStatus.lastBackupAt) },
      ], c.edges, { empty: 'Every expected backup is recent.' }));
  };

  const loadStorage = async () => {
    const data = await gql('{ storageSummary { volumes healthy warning critical unreported } }');
    const s = data.storageSummary;
    fill(storage, h('div.tiles',
      h('a.tile', { href: '#/storage', dataset: { count: 'storage-critical' } }, h('div.n', s.critical), h('div.l', badge('critical'))),
      h('a.tile', { href: '#/storage' }, h('div.n', s.warning), h('div.l', badge('warning'))),
      h('a.tile', { href: '#/storage' }, h('div.n', s.healthy), h('div.l', badge('healthy')))),
      h('p.muted', `${s.volumes} storage services`));
  };

  const loadNodes = async () => {
    const data = await gql('{ nodes(first: 500) { id silent lastHeartbeatAt agentVersion } }');
    const silent = data.nodes.filter(n => n.silent);
    fill(nodes, table([
      { title: 'Node', cell: n => h('a', { href: `#/services?node=${encodeURIComponent(n.id)}` }, n.id) },
      { title: 'Last heartbeat', cell: n => ago(n.lastHeartbeatAt) },
    ], silent, { empty: 'Every agent is reporting.' }));
  };

  // The first meaningful paint is the status counts; the rest follows without blocking it.
  await loadCounts();
  requestAnimationFrame(() => {
    document.documentElement.dataset.overviewPaintMs = String(Math.round(performance.now()));
  });
  const loaders = { counts: loadCounts, sla: loadSLA, incidents: loadIncidents, backups: loadBackups, storage: loadStorage, nodes: loadNodes };
  const rest = Object.entries(loaders).filter(([name]) => name !== 'counts')
    .map(([name, load]) => load().catch(error => softError(root.querySelector(`#ov-${name}`) || root, error)));
  Promise.all(rest).then(() => requestAnimationFrame(() => {
    document.documentElement.dataset.overviewCompleteMs = String(Math.round(performance.now()));
  }));

  // Live: each event refreshes the parts it concerns, at most every 300 ms per part.
  const timers = {};
  const soon = (...names) => {
    for (const name of names) {
      if (timers[name]) continue;
      timers[name] = setTimeout(() => { timers[name] = null; loaders[name]().catch(() => {}); }, 300);
    }
  };
  const addFeed = (node, ...refresh) => {
    document.getElementById('feed-empty')?.remove();
    feed.prepend(node);
    while (feed.children.length > 50) feed.lastChild.remove();
    soon(...refresh);
  };
  const stops = [
    subscribe('subscription { serviceStatusChanged { serviceId nodeId serviceName oldStatus newStatus message at } }', {}, d => {
      const e = d.serviceStatusChanged;
      addFeed(h('li', { dataset: { service: e.serviceName } }, when(e.at), ' ',
        h('a', { href: `#/service/${e.serviceId}` }, `${e.nodeId}/${e.serviceName}`), ' ',
        e.oldStatus ? [badge(e.oldStatus), ' → '] : 'new ', badge(e.newStatus), e.message ? ` ${e.message}` : ''),
      'counts', 'sla', 'incidents');
    }),
    subscribe('subscription { slaIncident { incidentId serviceId nodeId serviceName phase at } }', {}, d => {
      const e = d.slaIncident;
      addFeed(h('li', when(e.at), ` incident ${e.phase}: ${e.nodeId}/${e.serviceName}`), 'incidents', 'sla');
    }),
    subscribe('subscription { slaAlert { kind nodeId serviceName message at } }', {}, d => {
      const e = d.slaAlert;
      const parts = { node_silent: 'nodes', backup_overdue: 'backups', storage_warning: 'storage', storage_critical: 'storage' };
      addFeed(h('li', when(e.at), ' ', badge(e.kind, e.kind.includes('critical') ? 'critical' : 'warning'), ` ${e.message}`),
        parts[e.kind] || 'sla');
    }),
  ];
  return () => { stops.forEach(stop => stop()); Object.values(timers).forEach(clearTimeout); };
}
