// License: edition, state, trial days left, plugins; admins activate a license key.
import { h, fill, when } from '../dom.js';
import { gql, can } from '../api.js';
import { form } from '../forms.js';

export async function render(root, { refreshLicense }) {
  const box = h('section.panel#license-state');
  fill(root, box);
  const load = async () => {
    const { license: l } = await gql('{ license { customer plugins licensedPlugins expiresAt trial trialEndsAt edition licenseId maxServices status } }');
    const daysLeft = l.trialEndsAt ? Math.max(0, Math.ceil((new Date(l.trialEndsAt) - Date.now()) / 86400000)) : null;
    fill(box, h('dl',
      h('dt', 'Edition'), h('dd', l.edition),
      h('dt', 'State'), h('dd#license-status', l.status),
      h('dt', 'Customer'), h('dd', l.customer || '—'),
      h('dt', 'Plugins enabled'), h('dd', l.plugins.join(', ') || 'none'),
      h('dt', 'Expires'), h('dd', when(l.expiresAt)),
      h('dt', 'Trial'), h('dd', l.trial ? `running, ${daysLeft} days left (ends ${when(l.trialEndsAt)})` : l.trialEndsAt ? `ended ${when(l.trialEndsAt)}` : 'off')));
  };
  await load();
  if (can('admin')) {
    root.append(h('section.panel', h('h2', 'Activate a license'), form({
      label: 'Activate a license', submit: 'Activate',
      fields: [{ name: 'licenseKey', label: 'License key', type: 'textarea', rows: 4 }],
      onSubmit: async v => {
        await gql('mutation($k: String!) { activateLicense(licenseKey: $k) { status } }', { k: v.licenseKey.trim() });
        await load();
        await refreshLicense();
      },
    })));
  }
}
