import { h, fill } from '../dom.js';
import * as api from '../api.js';
import { form } from '../forms.js';

export async function renderSignIn(main, { message, onSignedIn }) {
  const box = h('section.panel.signin', { 'aria-labelledby': 'signin-title' });
  fill(main, box);
  box.append(h('h1#signin-title', 'Sign in to ITOps'));
  if (message) box.append(h('p.muted', message));
  let providers = [];
  try { providers = await api.providers(); } catch { providers = [{ id: 'local', type: 'local', name: 'Email and password' }]; }
  for (const provider of providers) {
    if (provider.type === 'local') {
      box.append(form({
        label: provider.name,
        submit: 'Sign in',
        fields: [
          { name: 'email', label: 'Email', type: 'email', autocomplete: 'username', required: true },
          { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true },
        ],
        onSubmit: async ({ email, password }) => {
          await api.login(email, password);
          await onSignedIn();
        },
      }));
    } else {
      // Redirect-based providers (LDAP/OIDC, when the identity work adds them) get a button each.
      box.append(h('p', h('a.button', { href: provider.url || '#', dataset: { provider: provider.id } }, `Sign in with ${provider.name}`)));
    }
  }
  box.querySelector('input')?.focus();
}
