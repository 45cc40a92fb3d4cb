// Webhooks: create, enable/disable, test, delete, and each one's delivery history with the
// status, attempts and the reason of a failure (ExecFailed: the SSRF guard's words).
import { h, fill, table, announce } from '../dom.js';
import { deliveryColumns } from '../deliveries.js';
import { gql } from '../api.js';
import { form } from '../forms.js';

const EVENTS = ['service:status_changed', 'sla:incident', 'sla:alert', 'license:updated', 'ticket:created', 'ticket:updated', 'ticket:deleted'];
const FIELDS = 'id url events enabled hasSecret createdAt updatedAt';

export async function render(root) {
  const list = h('div#webhook-list', h('p.muted', 'Loading…'));
  const history = h('section.panel#webhook-history', { 'aria-live': 'polite' }, h('p.muted', 'Pick a webhook to see its deliveries.'));
  const create = form({
    label: 'New webhook', submit: 'Create webhook', reset: true,
    fields: [
      { name: 'url', label: 'URL', type: 'url', placeholder: 'https://hooks.example.com/itops', aliases: ['input.url'] },
      { name: 'events', label: 'Events', type: 'checks', options: EVENTS.map(e => [e, e]), value: ['service:status_changed'] },
      { name: 'secret', label: 'Signing secret (16–256 characters)', type: 'password', autocomplete: 'new-password' },
      { name: 'enabled', label: 'Enabled', type: 'checkbox', value: true },
    ],
    onSubmit: async input => {
      const data = await gql(`mutation($input: WebhookInput!) { createWebhook(input: $input) { id url } }`, { input });
      announce(`Webhook ${data.createWebhook.url} created`);
      await load();
    },
  });
  fill(root, h('section.panel', h('h2', 'New webhook'), create), h('h2', 'Webhooks'), list, history);

  const showHistory = async hook => {
    const data = await gql(`query($id: String!) { webhookDeliveries(webhookId: $id, first: 50) { id event status httpCode error durationMs attempt createdAt completedAt nextAttemptAt } }`, { id: hook.id });
    fill(history, h('h2', `Deliveries of ${hook.url}`),
      h('button.secondary', { type: 'button', on: { click: () => showHistory(hook) } }, 'Reload'),
      table(deliveryColumns, data.webhookDeliveries, { empty: 'No delivery yet.', caption: 'Delivery history' }));
  };

  const act = async (mutation, variables, after) => {
    try {
      await gql(mutation, variables);
      await load();
      if (after) await after();
    } catch (error) {
      fill(history, h('p.form-error', { role: 'alert' }, error.message));
    }
  };

  async function load() {
    const data = await gql(`{ webhooks { ${FIELDS} } }`);
    fill(list, table([
      { title: 'URL', cell: w => w.url },
      { title: 'Events', cell: w => w.events.join(', ') },
      { title: 'State', cell: w => (w.enabled ? 'enabled' : 'disabled') },
      { title: 'Actions', cell: w => h('div.row',
        h('button', { type: 'button', dataset: { action: 'test' }, on: { click: () => act('mutation($id: String!) { testWebhook(id: $id) { id status } }', { id: w.id }, () => showHistory(w)) } }, 'Send test'),
        h('button.secondary', { type: 'button', dataset: { action: 'history' }, on: { click: () => showHistory(w) } }, 'History'),
        h('button.secondary', { type: 'button', on: { click: () => act('mutation($id: String!, $e: Boolean) { updateWebhook(id: $id, input: {enabled: $e}) { id } }', { id: w.id, e: !w.enabled }) } }, w.enabled ? 'Disable' : 'Enable'),
        h('button.danger', { type: 'button', on: { click: () => { if (confirm(`Delete ${w.url} and its history?`)) act('mutation($id: String!) { deleteWebhook(id: $id) }', { id: w.id }); } } }, 'Delete')) },
    ], data.webhooks, { empty: 'No webhook yet.' }));
  }
  await load();
}
