// Incidents: open and closed downtime episodes, most recent first.
import { h, fill, badge, when, table } from '../dom.js';
import { gql } from '../api.js';
import { subscribe } from '../ws.js';

export async function render(root) {
  const days = h('select#incident-days', { 'aria-label': 'Period' }, [7, 30, 90, 366].map(d => h('option', { value: d, selected: d === 30 }, `last ${d} days`)));
  const open = h('input', { type: 'checkbox', id: 'incident-open' });
  const list = h('div#incident-list', h('p.muted', 'Loading…'));
  fill(root, h('div.toolbar', days, h('label', open, ' open only')), list);
  const load = async () => {
    try {
      const d = await gql('query($d: Int, $o: Boolean) { incidents(first: 200, daysBack: $d, openOnly: $o) { id serviceId serviceName nodeId openedAt closedAt open durationMinutes message } }',
        { d: Number(days.value), o: open.checked });
      fill(list, table([
        { title: 'Service', cell: i => h('a', { href: `#/service/${i.serviceId}` }, `${i.nodeId}/${i.serviceName}`) },
        { title: 'Opened', cell: i => when(i.openedAt) },
        { title: 'Closed', cell: i => (i.open ? badge('open', 'DOWN') : when(i.closedAt)) },
        { title: 'Minutes', cell: i => i.durationMinutes.toFixed(1) },
        { title: 'Message', cell: i => i.message || '' },
      ], d.incidents, { empty: 'No incident in this period.' }));
    } catch (error) {
      fill(list, h('p.notice', error.code === 'PLUGIN_NOT_LICENSED' ? 'Not licensed: incidents come with the sla plugin.' : error.message));
    }
  };
  days.addEventListener('change', load);
  open.addEventListener('change', load);
  await load();
  return subscribe('subscription { slaIncident { phase } }', {}, () => load());
}
