// Users (admins): every user by email, and a form to add one.
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

  async function load() {
    const data = await gql('query($a: String) { users(first: 50, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { node { id email role createdAt } } } }', { a: state.cursors.at(-1) });
    const c = data.users;
    fill(list, table([
      { title: 'Email', cell: e => e.node.email },
      { title: 'Role', cell: e => e.node.role },
      { title: 'Created', cell: e => when(e.node.createdAt) },
    ], c.edges));
    fill(pager,
      h('button.secondary', { type: 'button', disabled: state.cursors.length === 1, on: { click: () => { state.cursors.pop(); load(); } } }, 'Previous page'),
      h('span', `${c.totalCount} users`),
      h('button.secondary', { type: 'button', disabled: !c.pageInfo.hasNextPage, on: { click: () => { state.cursors.push(c.pageInfo.endCursor); load(); } } }, 'Next page'));
  }
  await load();
}
