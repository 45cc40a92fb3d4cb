// Public status pages (admins): publish SLA groups under a slug, choose the labels the public sees
// and which services are named; the page itself is server-rendered at /status/{slug}.
import { h, fill, when, table, announce } from '../dom.js';
import { gql, GraphQLFailure } from '../api.js';
import { form } from '../forms.js';

const PAGE = 'id slug title description url updatedAt groups { slaGroup label services { serviceId label } }';

export async function render(root) {
  const groupsData = await gql('{ slaGroups(first: 500) { name displayName } }');
  const groups = groupsData.slaGroups;
  /** The members of the groups on a page (up to 100 each: a page names at most 100 per group). */
  async function members(names) {
    const byGroup = {};
    for (const name of names) {
      const data = await gql('query($g: String) { services(first: 100, filter: { slaGroup: $g }) { edges { node { id name displayName nodeId } } } }', { g: name });
      byGroup[name] = data.services.edges.map(e => e.node);
    }
    return byGroup;
  }
  const list = h('div#statuspage-list', h('p.muted', 'Loading…'));
  const editor = h('div#statuspage-editor');
  fill(root,
    h('p.muted', 'A status page is public: anyone with the link sees the groups you choose, under the labels you give them, ',
      'with their current state, 90 days of daily uptime, incidents and maintenance. Node paths and service names ',
      'are never shown; a service appears only if you name it.'),
    h('section.panel', h('h2', 'New status page'), groups.length === 0
      ? h('p.muted', 'There are no SLA groups yet: agents create them with operator/status, or import them as templates.')
      : form({
        label: 'New status page', submit: 'Publish', reset: true,
        fields: [
          { name: 'slug', label: 'Slug (the page is /status/<slug>)', placeholder: 'acme' },
          { name: 'title', label: 'Title', placeholder: 'Acme Cloud' },
          { name: 'description', label: 'Description', type: 'textarea', rows: 2 },
          { name: 'groups', label: 'SLA groups to show', type: 'checks', options: groups.map(g => [g.name, g.displayName || g.name]) },
        ],
        onSubmit: async v => {
          const input = { slug: v.slug, title: v.title, description: v.description || null, groups: v.groups.map(name => ({ slaGroup: name })) };
          const data = await gql(`mutation($i: StatusPageInput!) { createStatusPage(input: $i) { ${PAGE} } }`, { i: input });
          announce(`Status page ${data.createStatusPage.slug} published`);
          await load();
          await edit(data.createStatusPage);
        },
      })),
    h('h2', 'Status pages'), list, editor);

  async function load() {
    const data = await gql(`{ statusPages { ${PAGE} } }`);
    fill(list, table([
      { title: 'Page', cell: p => h('a', { href: p.url, target: '_blank', rel: 'noopener' }, p.url) },
      { title: 'Title', cell: p => p.title },
      { title: 'Groups', cell: p => p.groups.map(g => g.label).join(', ') },
      { title: 'Updated', cell: p => when(p.updatedAt) },
      { title: '', cell: p => h('div.row',
        h('button', { type: 'button', on: { click: () => edit(p) } }, 'Edit'),
        h('button.danger', { type: 'button', on: { click: async () => {
          if (!confirm(`Delete the public page ${p.url}? Links to it stop working.`)) return;
          await gql('mutation($id: String!) { deleteStatusPage(id: $id) }', { id: p.id });
          fill(editor);
          await load();
        } } }, 'Delete')) },
    ], data.statusPages, { empty: 'No public status page yet.' }));
  }

  /** The editor of one page: every SLA group (on the page or not), its label and, for the groups on
   * the page, which services it names. */
  async function edit(page) {
    const memberLists = await members(page.groups.map(g => g.slaGroup));
    const rows = groups.map(group => {
      const current = page.groups.find(g => g.slaGroup === group.name);
      const shown = h('input', { type: 'checkbox', checked: !!current, 'aria-label': `Show ${group.name}` });
      const label = h('input', { type: 'text', value: current ? current.label : (group.displayName || group.name), 'aria-label': `Label of ${group.name}` });
      const services = (memberLists[group.name] || []).map(service => {
        const named = current && current.services.find(s => s.serviceId === service.id);
        return {
          id: service.id,
          check: h('input', { type: 'checkbox', checked: !!named, 'aria-label': `Name ${service.name} on the page` }),
          label: h('input', { type: 'text', value: named ? named.label : (service.displayName || ''), placeholder: 'Public label', 'aria-label': `Public label of ${service.name}` }),
          title: `${service.nodeId}/${service.name}`,
        };
      });
      return { group, shown, label, services };
    });
    const error = h('div.form-error', { role: 'alert' });
    const title = h('input', { type: 'text', value: page.title, 'aria-label': 'Title' });
    const slug = h('input', { type: 'text', value: page.slug, 'aria-label': 'Slug' });
    const save = h('button', { type: 'submit' }, 'Save');
    const el = h('form.panel', { 'aria-label': `Edit ${page.slug}`, on: { submit: async event => {
      event.preventDefault();
      error.textContent = '';
      save.disabled = true;
      try {
        const input = {
          slug: slug.value, title: title.value, description: page.description,
          groups: rows.filter(r => r.shown.checked).map(r => ({
            slaGroup: r.group.name, label: r.label.value,
            services: r.services.filter(s => s.check.checked).map(s => ({ serviceId: s.id, label: s.label.value })),
          })),
        };
        const data = await gql(`mutation($id: String!, $i: StatusPageInput!) { updateStatusPage(id: $id, input: $i) { ${PAGE} } }`, { id: page.id, i: input });
        announce(`Status page ${data.updateStatusPage.slug} saved`);
        await load();
        await edit(data.updateStatusPage);
      } catch (failure) {
        error.textContent = failure instanceof GraphQLFailure ? failure.message : String(failure);
      } finally {
        save.disabled = false;
      }
    } } },
      h('h2', `Edit ${page.url}`),
      h('div.field', h('label', 'Slug', slug)), h('div.field', h('label', 'Title', title)),
      rows.map(r => h('fieldset.checks',
        h('legend', h('label', r.shown, ' ', r.group.displayName || r.group.name)),
        h('div.field', h('label', 'Public label ', r.label)),
        r.services.length ? h('details', h('summary', `Name services (${r.services.length} in the group; unnamed ones count in its state)`),
          r.services.map(s => h('div.row', h('label', s.check, ' ', h('code', s.title)), s.label))) : null)),
      h('div.row', save), error);
    fill(editor, el);
  }

  await load();
}
