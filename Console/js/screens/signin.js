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
  // With LDAP configured, the same form takes a directory user name: the server tries the local account
  // of that email first, then the directory (docs/auth.md).
  const ldap = providers.find(p => p.type === 'ldap');
  for (const provider of providers) {
    if (provider.type === 'local') {
      box.append(form({
        label: ldap ? `${provider.name} or ${ldap.name}` : provider.name,
        submit: 'Sign in',
        fields: [
          ldap
            ? { name: 'email', label: 'Email or user name', type: 'text', autocomplete: 'username', required: true }
            : { name: 'email', label: 'Email', type: 'email', autocomplete: 'username', required: true },
          { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true },
        ],
        onSubmit: async ({ email, password }) => {
          await api.login(email, password);
          await onSignedIn();
        },
      }));
    } else if (provider.loginUrl) {
      // Redirect providers (OIDC): the server sends the browser to the provider and back to
      // /#signin-code=…, which app.js exchanges for a session.
      box.append(h('p', h('a.button', { href: provider.loginUrl, dataset: { provider: provider.id } }, `Sign in with ${provider.name}`)));
    }
  }
  box.querySelector('input')?.focus();
}
