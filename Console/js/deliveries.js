// The columns of a delivery history (webhooks and notification channels share the queue and its
// retries): status, attempts, HTTP code, the reason of a failure (ExecFailed: the SSRF guard's words).
import { h, badge, when } from './dom.js';

export const deliveryColumns = [
  { title: 'When', cell: d => when(d.createdAt) },
  { title: 'Event', cell: d => d.event },
  { title: 'Status', cell: d => badge(d.status) },
  { title: 'Attempts', cell: d => d.attempt },
  { title: 'HTTP', cell: d => d.httpCode ?? '—' },
  { title: 'Reason', cell: d => h('span.delivery-error', d.error || '') },
  { title: 'Took', cell: d => (d.durationMs !== null ? `${d.durationMs} ms` : '—') },
  { title: 'Next retry', cell: d => when(d.nextAttemptAt) },
];
