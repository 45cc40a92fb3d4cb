// Workflows (admins): definitions, enable/disable, delete, and recent executions with step results.
import { h, fill, badge, when, table } from '../dom.js';
import { gql } from '../api.js';

export async function render(root) {
  const list = h('div#workflow-list', h('p.muted', 'Loading…'));
  const runs = h('section.panel#workflow-runs', h('h2', 'Recent executions'), h('p.muted', 'Loading…'));
  fill(root, h('p.muted', 'Workflows are written as YAML on the Templates screen (export, edit, import).'), list, runs);
  const load = async () => {
    const d = await gql(`{ workflows { id name description enabled trigger { event filter { field equals } } steps { type method url seconds } updatedAt }
      workflowExecutions(first: 50) { id workflowName event status error createdAt finishedAt steps { index type status httpCode error } } }`);
    fill(list, table([
      { title: 'Name', cell: w => w.name },
      { title: 'Trigger', cell: w => [w.trigger.event, ...w.trigger.filter.map(c => ` ${c.field}=${c.equals}`)] },
      { title: 'Steps', cell: w => w.steps.map(s => s.type).join(' → ') },
      { title: 'State', cell: w => (w.enabled ? 'enabled' : 'disabled') },
      { title: 'Updated', cell: w => when(w.updatedAt) },
      { title: '', cell: w => h('button.danger', { type: 'button', on: { click: async () => {
        if (!confirm(`Delete ${w.name} and its executions?`)) return;
        await gql('mutation($id: String!) { deleteWorkflow(id: $id) }', { id: w.id });
        await load();
      } } }, 'Delete') },
    ], d.workflows, { empty: 'No workflow yet.' }));
    fill(runs, h('h2', 'Recent executions'), table([
      { title: 'When', cell: x => when(x.createdAt) },
      { title: 'Workflow', cell: x => x.workflowName },
      { title: 'Event', cell: x => x.event },
      { title: 'Status', cell: x => badge(x.status) },
      { title: 'Steps', cell: x => x.steps.map(s => `${s.index + 1}. ${s.type} ${s.status}${s.httpCode ? ` ${s.httpCode}` : ''}${s.error ? `: ${s.error}` : ''}`).join('; ') },
      { title: 'Error', cell: x => x.error || '' },
    ], d.workflowExecutions, { empty: 'No execution yet.' }));
  };
  await load();
}
