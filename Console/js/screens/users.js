// Users (admins): every user by email, a form to add one, and per user: role, disable/enable,
// password-reset token (shown once) and delete.
import { h, fill, when, table, announce } from '../dom.js';
import { gql } from '../api.js';
import { form } from '../forms.js';

export async function render(root) {
  const list = h('div#user-list', h('p.muted', 'Loading…'));
  const state = { cursors: [null] };
  const pager = h('div.toolbar');
  fill(root, h('section.panel', h('h2', 'New user'), form({
    label: 'New user', submit: 'Create user', reset: true,
    fields: [
      { name: 'email', label: 'Email', type: 'email', autocomplete: 'off' },
      { name: 'password', label: 'Password (at least 8 characters)', type: 'password', autocomplete: 'new-password' },
      { name: 'role', label: 'Role', type: 'select', options: [['viewer', 'viewer'], ['operator', 'operator'], ['admin', 'admin']], value: 'viewer' },
    ],
    onSubmit: async v => {
      const data = await gql('mutation($e: String!, $p: String!, $r: String!) { createUser(email: $e, password: $p, role: $r) { email } }', { e: v.email, p: v.password, r: v.role });
      announce(`User ${data.createUser.email} created`);
      state.cursors = [null];
      await load();
    },
  })), h('h2', 'Users'), list, pager);

  const resetOut = h('div#user-reset', { 'aria-live': 'polite' });
  const problem = h('div.form-error#user-error', { role: 'alert' });
  root.append(problem, resetOut);

  async function act(mutation, variables, message) {
    problem.textContent = '';
    try {
      await gql(mutation, variables);
      announce(message);
    } catch (error) {
      problem.textContent = error.message || String(error);
    }
    await load();
  }

  const update = 'mutation($id: String!, $in: UpdateUserInput!) { updateUser(id: $id, input: $in) { id } }';

  async function load() {
    const data = await gql('query($a: String) { users(first: 50, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { node { id email role createdAt displayName provider disabled lastSignInAt } } } }', { a: state.cursors.at(-1) });
    const c = data.users;
    fill(list, table([
      { title: 'Email', cell: e => e.node.email + (e.node.displayName ? ` (${e.node.displayName})` : '') },
      { title: 'Role', cell: e => h('select', { 'aria-label': `Role of ${e.node.email}`, on: { change: ev =>
        act(update, { id: e.node.id, in: { role: ev.target.value } }, `${e.node.email} is now ${ev.target.value}`) } },
        ['viewer', 'operator', 'admin'].map(r => h('option', { value: r, selected: r === e.node.role }, r))) },
      { title: 'Provider', cell: e => e.node.provider },
      { title: 'State', cell: e => (e.node.disabled ? 'disabled' : 'enabled') },
      { title: 'Last sign-in', cell: e => (e.node.lastSignInAt ? when(e.node.lastSignInAt) : 'never') },
      { title: 'Created', cell: e => when(e.node.createdAt) },
      { title: '', cell: e => h('div.row',
        h('button.secondary', { type: 'button', on: { click: () => act(update, { id: e.node.id, in: { disabled: !e.node.disabled } },
          `${e.node.email} ${e.node.disabled ? 'enabled' : 'disabled'}`) } }, e.node.disabled ? 'Enable' : 'Disable'),
        e.node.provider === 'local' ? h('button.secondary', { type: 'button', on: { click: async () => {
          problem.textContent = '';
          try {
            const data = await gql('mutation($id: String!) { resetPassword(id: $id) { token expiresAt user { email } } }', { id: e.node.id });
            const r = data.resetPassword;
            fill(resetOut, h('p', `Password-reset token for ${r.user.email}, valid until ${when(r.expiresAt)}, shown this once; hand it to the user (completePasswordReset):`), h('pre.key', r.token));
            announce('Password-reset token created');
          } catch (error) { problem.textContent = error.message || String(error); }
        } } }, 'Reset password') : null,
        h('button.danger', { type: 'button', on: { click: () => {
          if (!confirm(`Delete ${e.node.email}? Their sessions end and their tickets become unassigned.`)) return;
          act('mutation($id: String!) { deleteUser(id: $id) { id } }', { id: e.node.id }, `${e.node.email} deleted`);
        } } }, 'Delete')) },
    ], c.edges));
    fill(pager,
      h('button.secondary', { type: 'button', disabled: state.cursors.length === 1, on: { click: () => { state.cursors.pop(); load(); } } }, 'Previous page'),
      h('span', `${c.totalCount} users`),
      h('button.secondary', { type: 'button', disabled: !c.pageInfo.hasNextPage, on: { click: () => { state.cursors.push(c.pageInfo.endCursor); load(); } } }, 'Next page'));
  }
  await load();
}
