// SLA reports: the daily reports with JSON and CSV downloads; operators generate one.
import { h, fill, when, table, download } from '../dom.js';
import { gql, can, restText } from '../api.js';
import { form } from '../forms.js';

export async function render(root) {
  const list = h('div#report-list', h('p.muted', 'Loading…'));
  const note = h('div', { role: 'alert' });
  fill(root, list, note);
  const fetchFile = async (url, name, type) => {
    try { download(name, await restText(url), type); } catch (error) { note.textContent = error.message; }
  };
  const load = async () => {
    try {
      const d = await gql('{ slaReports(first: 31) { date generatedAt groupCount serviceCount breachedCount jsonUrl csvUrl } }');
      fill(list, table([
        { title: 'Day', cell: r => r.date },
        { title: 'Generated', cell: r => when(r.generatedAt) },
        { title: 'Groups', cell: r => r.groupCount },
        { title: 'Services', cell: r => r.serviceCount },
        { title: 'Breached', cell: r => r.breachedCount },
        { title: 'Download', cell: r => h('div.row',
          h('button.secondary', { type: 'button', on: { click: () => fetchFile(r.jsonUrl, `sla-${r.date}.json`, 'application/json') } }, 'JSON'),
          h('button.secondary', { type: 'button', on: { click: () => fetchFile(r.csvUrl, `sla-${r.date}.csv`, 'text/csv') } }, 'CSV')) },
      ], d.slaReports, { empty: 'No report yet: one is generated each day after midnight UTC.' }));
    } catch (error) {
      fill(list, h('p.notice', error.code === 'PLUGIN_NOT_LICENSED' ? 'Not licensed: reports come with the sla plugin.' : error.message));
    }
  };
  await load();
  if (can('operator')) {
    root.append(h('section.panel', h('h2', 'Generate a report'), form({
      label: 'Generate a report', submit: 'Generate',
      fields: [{ name: 'date', label: 'Day (YYYY-MM-DD, default yesterday)', placeholder: '2026-11-29' }],
      onSubmit: async v => { await gql('mutation($d: String) { generateSlaReport(date: $d) { date } }', { d: v.date || null }); await load(); },
    })));
  }
}
