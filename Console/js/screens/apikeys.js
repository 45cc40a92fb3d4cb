// API keys (admins): create with role, node scope and expiry (the plain key is shown once), list, revoke.
import { h, fill, when, table, announce } from '../dom.js';
import { gql } from '../api.js';
import { form } from '../forms.js';

export async function render(root) {
  const list = h('div#apikey-list', h('p.muted', 'Loading…'));
  const created = h('div#apikey-created', { 'aria-live': 'polite' });
  fill(root, h('section.panel', h('h2', 'New API key'), form({
    label: 'New API key', submit: 'Create key', reset: true,
    fields: [
      { name: 'name', label: 'Name', placeholder: 'agent-prod-1' },
      { name: 'role', label: 'Role', type: 'select', options: [['operator', 'operator'], ['viewer', 'viewer'], ['admin', 'admin']], value: 'operator' },
      { name: 'nodeScope', label: 'Node scope (optional)', placeholder: 'myorg/platform/prod, myorg/platform/stage', help: 'Comma-separated hierarchy prefixes; the key acts on and reads only nodes under them. Empty: every node.', aliases: ['input.nodeScope'] },
      { name: 'expiresAt', label: 'Expires (optional)', type: 'datetime-local', aliases: ['input.expiresAt'] },
    ],
    onSubmit: async v => {
      const scope = (v.nodeScope || '').split(',').map(s => s.trim()).filter(s => s);
      const input = { name: v.name, role: v.role, nodeScope: scope.length ? scope : null, expiresAt: v.expiresAt ? new Date(v.expiresAt).toISOString() : null };
      const data = await gql('mutation($in: CreateApiKeyInput) { createApiKey(input: $in) { key apiKey { name } } }', { in: input });
      fill(created, h('p', `Key for ${data.createApiKey.apiKey.name}, shown this once; copy it now:`), h('pre.key', data.createApiKey.key));
      announce('API key created');
      await load();
    },
  }), created), h('h2', 'API keys'), list);

  async function load() {
    const data = await gql('{ apiKeys(first: 500) { totalCount edges { node { id name prefix role createdAt revokedAt revoked bootstrap nodeScope expiresAt lastUsedAt } } } }');
    fill(list, table([
      { title: 'Name', cell: e => e.node.name + (e.node.bootstrap ? ' (ITOPS_OPERATOR_API_KEY)' : '') },
      { title: 'Prefix', cell: e => h('code', e.node.prefix) },
      { title: 'Role', cell: e => e.node.role },
      { title: 'Scope', cell: e => (e.node.nodeScope ? e.node.nodeScope.join(', ') : 'every node') },
      { title: 'Expires', cell: e => (e.node.expiresAt ? when(e.node.expiresAt) : 'never') },
      { title: 'Last used', cell: e => (e.node.lastUsedAt ? when(e.node.lastUsedAt) : 'never') },
      { title: 'Created', cell: e => when(e.node.createdAt) },
      { title: 'State', cell: e => (e.node.revoked ? `revoked ${when(e.node.revokedAt)}` : 'active') },
      { title: '', cell: e => (e.node.revoked ? '' : h('button.danger', { type: 'button', on: { click: async () => {
        if (!confirm(`Revoke ${e.node.name}? Agents using it stop at once.`)) return;
        await gql('mutation($id: String!) { revokeApiKey(id: $id) { id } }', { id: e.node.id });
        await load();
      } } }, 'Revoke')) },
    ], data.apiKeys.edges));
  }
  await load();
}
