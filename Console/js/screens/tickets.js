// Tickets (plugin ticketing): newest first, filter by status, create (operators).
import { h, fill, badge, when, table } from '../dom.js';
import { gql, can } from '../api.js';
import { form } from '../forms.js';

const STATUSES = ['open', 'acknowledged', 'in_progress', 'resolved', 'closed'];

export async function render(root) {
  const status = h('select#ticket-status', { 'aria-label': 'Status' }, h('option', { value: '' }, 'any status'), STATUSES.map(s => h('option', { value: s }, s)));
  const list = h('div#ticket-list', h('p.muted', 'Loading…'));
  fill(root, h('div.toolbar', status), list);
  const load = async () => {
    const d = await gql('query($f: TicketFilter) { tickets(filter: $f, first: 100) { totalCount edges { node { id key title status priority source assigneeEmail createdAt updatedAt } } } }',
      { f: status.value ? { status: status.value } : null });
    fill(list, h('p.muted', `${d.tickets.totalCount} tickets`), table([
      { title: 'Key', cell: e => e.node.key },
      { title: 'Title', cell: e => e.node.title },
      { title: 'Status', cell: e => badge(e.node.status, e.node.status === 'open' ? 'DOWN' : e.node.status === 'resolved' || e.node.status === 'closed' ? 'OPERATIONAL' : 'DEGRADED') },
      { title: 'Priority', cell: e => e.node.priority },
      { title: 'Source', cell: e => e.node.source },
      { title: 'Assignee', cell: e => e.node.assigneeEmail || '' },
      { title: 'Updated', cell: e => when(e.node.updatedAt) },
    ], d.tickets.edges, { empty: 'No ticket.' }));
  };
  status.addEventListener('change', load);
  await load();
  if (can('operator')) {
    root.append(h('section.panel', h('h2', 'New ticket'), form({
      label: 'New ticket', submit: 'Create ticket', reset: true,
      fields: [
        { name: 'title', label: 'Title', aliases: ['input.title'] },
        { name: 'description', label: 'Description', type: 'textarea', rows: 4 },
        { name: 'priority', label: 'Priority', type: 'select', options: [['P3', 'P3'], ['P1', 'P1'], ['P2', 'P2'], ['P4', 'P4']], value: 'P3' },
      ],
      onSubmit: async v => { await gql('mutation($i: TicketInput!) { createTicket(input: $i) { key } }', { i: v }); await load(); },
    })));
  }
}
