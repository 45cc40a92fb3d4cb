// Notifications: channels (email, Slack, Teams, PagerDuty, Opsgenie, webhook) with "send test" and
// their delivery history, and the routing rules that send events to them (docs/notifications.md).
import { h, fill, table, announce } from '../dom.js';
import { deliveryColumns } from '../deliveries.js';
import { gql } from '../api.js';
import { form } from '../forms.js';

const KINDS = ['EMAIL', 'SLACK', 'TEAMS', 'PAGERDUTY', 'OPSGENIE', 'WEBHOOK'];
const EVENTS = ['sla:incident', 'sla:alert', 'service:status_changed', 'license:updated', 'ticket:created', 'ticket:updated', 'ticket:deleted'];
const ALERT_KINDS = ['node_silent', 'backup_overdue', 'storage_warning', 'storage_critical', 'sla_burn_rate', 'sla_burn_rate_cleared', 'sla_report_generated', 'exclusion_window_planned'];
// Which config fields each kind uses; the form sends only those that were filled in.
const CONFIG = {
  EMAIL: ['smtpHost', 'smtpPort', 'smtpSecurity', 'smtpUsername', 'smtpPassword', 'from', 'to'],
  SLACK: ['url'], TEAMS: ['url', 'teamsFormat'], PAGERDUTY: ['routingKey', 'baseUrl'],
  OPSGENIE: ['apiKey', 'baseUrl'], WEBHOOK: ['url', 'secret'],
};
const CONFIG_FIELDS = 'url baseUrl routingKey apiKey secret teamsFormat smtpHost smtpPort smtpSecurity smtpUsername smtpPassword from to';
const list = text => (text || '').split(',').map(s => s.trim()).filter(Boolean);

export async function render(root) {
  const channels = h('div#channel-list', h('p.muted', 'Loading…'));
  const rules = h('div#rule-list', h('p.muted', 'Loading…'));
  const history = h('section.panel#channel-history', { 'aria-live': 'polite' }, h('p.muted', 'Pick a channel to see its deliveries.'));

  const channelForm = form({
    label: 'New channel', submit: 'Create channel', reset: true,
    fields: [
      { name: 'name', label: 'Name', aliases: ['input.name'] },
      { name: 'kind', label: 'Kind', type: 'select', options: KINDS.map(k => [k, k]), value: 'SLACK', aliases: ['input.kind'] },
      { name: 'url', label: 'URL (Slack / Teams hook, webhook)', type: 'url', aliases: ['input.config.url'] },
      { name: 'teamsFormat', label: 'Teams format', type: 'select', options: [['MESSAGE_CARD', 'MessageCard'], ['ADAPTIVE_CARD', 'Adaptive Card']], aliases: ['input.config.teamsFormat'] },
      { name: 'routingKey', label: 'PagerDuty routing key', type: 'password', autocomplete: 'off', aliases: ['input.config.routingKey'] },
      { name: 'apiKey', label: 'Opsgenie API key', type: 'password', autocomplete: 'off', aliases: ['input.config.apiKey'] },
      { name: 'baseUrl', label: 'API base URL (PagerDuty / Opsgenie, optional)', type: 'url', aliases: ['input.config.baseUrl'] },
      { name: 'secret', label: 'Webhook signing secret (16–256 characters)', type: 'password', autocomplete: 'new-password', aliases: ['input.config.secret'] },
      { name: 'smtpHost', label: 'SMTP host', aliases: ['input.config.smtpHost'] },
      { name: 'smtpPort', label: 'SMTP port', type: 'number', aliases: ['input.config.smtpPort'] },
      { name: 'smtpSecurity', label: 'SMTP security', type: 'select', options: [['STARTTLS', 'STARTTLS'], ['TLS', 'TLS'], ['NONE', 'None']], aliases: ['input.config.smtpSecurity'] },
      { name: 'smtpUsername', label: 'SMTP user', autocomplete: 'off', aliases: ['input.config.smtpUsername'] },
      { name: 'smtpPassword', label: 'SMTP password', type: 'password', autocomplete: 'new-password', aliases: ['input.config.smtpPassword'] },
      { name: 'from', label: 'From address', type: 'email', aliases: ['input.config.from'] },
      { name: 'to', label: 'To addresses (comma-separated)', aliases: ['input.config.to'] },
      { name: 'enabled', label: 'Enabled', type: 'checkbox', value: true },
    ],
    onSubmit: async values => {
      const config = {};
      for (const field of CONFIG[values.kind]) {
        const value = values[field];
        if (value === '' || value === null || value === undefined) continue;
        config[field] = field === 'to' ? list(value) : value;
      }
      const input = { name: values.name, kind: values.kind, enabled: values.enabled, config };
      const data = await gql(`mutation($input: NotificationChannelInput!) { createNotificationChannel(input: $input) { id name } }`, { input });
      announce(`Channel ${data.createNotificationChannel.name} created`);
      await load();
    },
  });

  const ruleForm = form({
    label: 'New rule', submit: 'Create rule', reset: true,
    fields: [
      { name: 'name', label: 'Name', aliases: ['input.name'] },
      { name: 'events', label: 'Events', type: 'checks', options: EVENTS.map(e => [e, e]), value: ['sla:incident'], aliases: ['input.events'] },
      { name: 'alertKinds', label: 'Alert kinds (sla:alert; none = all)', type: 'checks', options: ALERT_KINDS.map(k => [k, k]), aliases: ['input.alertKinds'] },
      { name: 'channels', label: 'Channels (names, comma-separated)', aliases: ['input.channels'] },
      { name: 'nodePrefixes', label: 'Node prefixes (comma-separated, optional)', aliases: ['input.nodePrefixes'] },
      { name: 'slaGroups', label: 'SLA groups (optional)', aliases: ['input.slaGroups'] },
      { name: 'tiers', label: 'Tiers (critical, high, medium, low; optional)', aliases: ['input.tiers'] },
      { name: 'tags', label: 'Tags (optional)', aliases: ['input.tags'] },
      { name: 'quietStart', label: 'Quiet hours from (HH:mm, optional)', placeholder: '22:00', aliases: ['input.quietHours.start', 'input.quietHours'] },
      { name: 'quietEnd', label: 'Quiet hours until (HH:mm)', placeholder: '07:00', aliases: ['input.quietHours.end'] },
      { name: 'timeZone', label: 'Time zone', value: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', aliases: ['input.quietHours.timeZone'] },
      { name: 'minIntervalSeconds', label: 'Minimum interval (seconds)', type: 'number', value: 0, aliases: ['input.minIntervalSeconds'] },
      { name: 'digestMinutes', label: 'Digest (minutes; 0 sends at once)', type: 'number', value: 0, aliases: ['input.digestMinutes'] },
    ],
    onSubmit: async v => {
      const input = {
        name: v.name, events: v.events, alertKinds: v.alertKinds, channels: list(v.channels),
        nodePrefixes: list(v.nodePrefixes), slaGroups: list(v.slaGroups), tiers: list(v.tiers), tags: list(v.tags),
        minIntervalSeconds: v.minIntervalSeconds ?? 0, digestMinutes: v.digestMinutes ?? 0,
      };
      if (v.quietStart || v.quietEnd) input.quietHours = { start: v.quietStart, end: v.quietEnd, timeZone: v.timeZone };
      const data = await gql(`mutation($input: NotificationRuleInput!) { createNotificationRule(input: $input) { id name } }`, { input });
      announce(`Rule ${data.createNotificationRule.name} created`);
      await load();
    },
  });

  fill(root,
    h('section.panel', h('h2', 'New channel'), channelForm),
    h('h2', 'Channels'), channels, history,
    h('section.panel', h('h2', 'New rule'), ruleForm),
    h('h2', 'Rules'), rules);

  const showHistory = async channel => {
    const data = await gql(`query($id: String!) { notificationDeliveries(channelId: $id, first: 50) { id event status httpCode error durationMs attempt createdAt nextAttemptAt } }`, { id: channel.id });
    fill(history, h('h2', `Deliveries to ${channel.name}`),
      h('button.secondary', { type: 'button', on: { click: () => showHistory(channel) } }, 'Reload'),
      table(deliveryColumns, data.notificationDeliveries, { empty: 'No delivery yet.', caption: 'Delivery history' }));
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

  const target = c => {
    const cfg = c.config;
    if (c.kind === 'EMAIL') return `${cfg.smtpHost}:${cfg.smtpPort ?? ''} → ${(cfg.to || []).join(', ')}`;
    return cfg.url || cfg.baseUrl || 'default API host';
  };

  async function load() {
    const data = await gql(`{ notificationChannels { id name kind enabled config { ${CONFIG_FIELDS} } } notificationRules { id name enabled events alertKinds channels nodePrefixes slaGroups tiers tags quietHours { start end timeZone } minIntervalSeconds digestMinutes } }`);
    fill(channels, table([
      { title: 'Name', cell: c => c.name },
      { title: 'Kind', cell: c => c.kind },
      { title: 'Target', cell: c => target(c) },
      { title: 'State', cell: c => (c.enabled ? 'enabled' : 'disabled') },
      { title: 'Actions', cell: c => h('div.row',
        h('button', { type: 'button', dataset: { action: 'test' }, on: { click: () => act('mutation($id: String!) { testNotificationChannel(id: $id) { id status } }', { id: c.id }, () => showHistory(c)) } }, 'Send test'),
        h('button.secondary', { type: 'button', dataset: { action: 'history' }, on: { click: () => showHistory(c) } }, 'History'),
        h('button.secondary', { type: 'button', on: { click: () => act('mutation($id: String!, $e: Boolean) { updateNotificationChannel(id: $id, input: {enabled: $e}) { id } }', { id: c.id, e: !c.enabled }) } }, c.enabled ? 'Disable' : 'Enable'),
        h('button.danger', { type: 'button', on: { click: () => { if (confirm(`Delete ${c.name} and its history?`)) act('mutation($id: String!) { deleteNotificationChannel(id: $id) }', { id: c.id }); } } }, 'Delete')) },
    ], data.notificationChannels, { empty: 'No channel yet.' }));
    const filters = r => [
      r.alertKinds.length ? `kinds ${r.alertKinds.join(', ')}` : '', r.nodePrefixes.length ? `under ${r.nodePrefixes.join(', ')}` : '',
      r.slaGroups.length ? `groups ${r.slaGroups.join(', ')}` : '', r.tiers.length ? `tiers ${r.tiers.join(', ')}` : '',
      r.tags.length ? `tags ${r.tags.join(', ')}` : '',
    ].filter(Boolean).join('; ') || 'everything';
    const pacing = r => [
      r.quietHours ? `quiet ${r.quietHours.start}–${r.quietHours.end} ${r.quietHours.timeZone}` : '',
      r.minIntervalSeconds ? `≥ ${r.minIntervalSeconds} s apart` : '', r.digestMinutes ? `digest ${r.digestMinutes} min` : '',
    ].filter(Boolean).join('; ') || 'at once';
    fill(rules, table([
      { title: 'Name', cell: r => r.name },
      { title: 'Events', cell: r => r.events.join(', ') },
      { title: 'Filters', cell: filters },
      { title: 'Channels', cell: r => r.channels.join(', ') },
      { title: 'Pacing', cell: pacing },
      { title: 'Actions', cell: r => h('div.row',
        h('button.danger', { type: 'button', on: { click: () => { if (confirm(`Delete rule ${r.name}?`)) act('mutation($id: String!) { deleteNotificationRule(id: $id) }', { id: r.id }); } } }, 'Delete')) },
    ], data.notificationRules, { empty: 'No rule yet.' }));
  }
  await load();
}
