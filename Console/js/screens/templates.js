// Templates (admins): export workflows, service catalog and SLA definitions as YAML; import
// (dry run first) with the per-item outcome.
import { h, fill, table, download } from '../dom.js';
import { gql } from '../api.js';
import { form } from '../forms.js';

export async function render(root) {
  const result = h('div#template-result', { 'aria-live': 'polite' });
  const exportBox = h('section.panel', h('h2', 'Export'), form({
    label: 'Export templates', submit: 'Export YAML',
    fields: [{ name: 'kinds', label: 'What', type: 'checks', options: [['workflows', 'workflows'], ['serviceCatalog', 'service catalog'], ['slaDefinitions', 'SLA definitions']], value: ['workflows', 'serviceCatalog', 'slaDefinitions'] }],
    onSubmit: async v => {
      const d = await gql('mutation($k: [String!]) { exportTemplates(kinds: $k) }', { k: v.kinds });
      download('itops-templates.yaml', d.exportTemplates, 'application/yaml');
    },
  }));
  const importBox = h('section.panel', h('h2', 'Import'), form({
    label: 'Import templates', submit: 'Import',
    fields: [
      { name: 'yaml', label: 'YAML', type: 'textarea', rows: 14 },
      { name: 'dryRun', label: 'Dry run (validate and report, write nothing)', type: 'checkbox', value: true },
    ],
    onSubmit: async v => {
      const d = await gql('mutation($y: String!, $d: Boolean) { importTemplates(yaml: $y, dryRun: $d) { dryRun created updated unchanged changes { kind name outcome } } }', { y: v.yaml, d: v.dryRun });
      const r = d.importTemplates;
      fill(result, h('p', `${r.dryRun ? 'Dry run: would create' : 'Created'} ${r.created}, updated ${r.updated}, unchanged ${r.unchanged}.`),
        table([{ title: 'Kind', cell: c => c.kind }, { title: 'Name', cell: c => c.name }, { title: 'Outcome', cell: c => c.outcome }], r.changes));
    },
  }), result);
  fill(root, h('div.grid2', exportBox, importBox));
}
