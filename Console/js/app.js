// The shell: sign-in gate, navigation by role and license, and a hash router that loads each
// screen's module on first use (the overview's is the only one a first visit waits for).
import { h, fill, $, announce } from './dom.js';
import * as api from './api.js';
import { startLive, stopLive, reconnectLive, onLiveStatus } from './ws.js';

const screens = [
  { path: 'overview', title: 'Overview', group: 'Monitor', module: './screens/overview.js' },
  { path: 'services', title: 'Services', group: 'Monitor', module: './screens/services.js' },
  { path: 'service', title: 'Service', module: './screens/service.js', hidden: true },
  { path: 'storage', title: 'Storage', group: 'Monitor', module: './screens/storage.js' },
  { path: 'backups', title: 'Backups', group: 'Monitor', module: './screens/backups.js' },
  { path: 'incidents', title: 'Incidents', group: 'Monitor', module: './screens/incidents.js' },
  { path: 'reports', title: 'SLA reports', group: 'Monitor', module: './screens/reports.js' },
  { path: 'tickets', title: 'Tickets', group: 'Work', module: './screens/tickets.js', plugin: 'ticketing' },
  { path: 'audit', title: 'Audit log', group: 'Work', module: './screens/audit.js', plugin: 'audit', role: 'admin' },
  { path: 'webhooks', title: 'Webhooks', group: 'Automation', module: './screens/webhooks.js', role: 'admin' },
  { path: 'workflows', title: 'Workflows', group: 'Automation', module: './screens/workflows.js', role: 'admin' },
  { path: 'notifications', title: 'Notifications', group: 'Automation', module: './screens/notifications.js', role: 'admin' },
  { path: 'templates', title: 'Templates', group: 'Automation', module: './screens/templates.js', role: 'admin' },
  { path: 'statuspages', title: 'Status pages', group: 'Automation', module: './screens/statuspages.js', role: 'admin', plugin: 'sla' },
  { path: 'license', title: 'License', group: 'Administration', module: './screens/license.js' },
  { path: 'apikeys', title: 'API keys', group: 'Administration', module: './screens/apikeys.js', role: 'admin' },
  { path: 'users', title: 'Users', group: 'Administration', module: './screens/users.js', role: 'admin' },
];

const main = $('#main');
const nav = $('#nav');
const context = { me: null, license: null, navigate, refreshLicense };
let cleanup = null;
let renderToken = 0;
let focusOnRoute = false;

export function navigate(path) {
  if (location.hash === `#/${path}`) route();
  else location.hash = `#/${path}`;
}

async function refreshLicense() {
  const data = await api.gql('{ license { plugins edition status trial trialEndsAt customer expiresAt } }');
  context.license = data.license;
  renderNav();
}

function visible(screen) {
  return !screen.hidden && (!screen.role || api.can(screen.role));
}

function renderNav() {
  const current = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0] || 'overview';
  const groups = [];
  for (const screen of screens.filter(visible)) {
    let group = groups.find(g => g.name === screen.group);
    if (!group) groups.push(group = { name: screen.group, items: [] });
    group.items.push(screen);
  }
  fill(nav, groups.map(g => [
    h('div.group', g.name),
    g.items.map(s => h('a', { href: `#/${s.path}`, 'aria-current': s.path === current ? 'page' : null, dataset: { screen: s.path } }, s.title)),
  ]));
}

function parseHash() {
  const [pathPart, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, ...rest] = pathPart.split('/');
  return { name: name || 'overview', args: rest.map(decodeURIComponent), query: new URLSearchParams(query) };
}

async function route() {
  if (!api.token()) return;
  const { name, args, query } = parseHash();
  const screen = screens.find(s => s.path === name);
  renderNav();
  if (cleanup) { try { cleanup(); } catch { /* a screen's cleanup must not stop navigation */ } cleanup = null; }
  const mine = ++renderToken;
  if (!screen) { fill(main, h('h1', 'Not found'), h('p', 'No such screen. ', h('a', { href: '#/overview' }, 'Back to the overview'))); return; }
  if (screen.role && !api.can(screen.role)) {
    fill(main, h('h1', screen.title), h('p.notice', `This screen is for ${screen.role}s.`));
    return;
  }
  document.title = `${screen.title} · ITOps`;
  if (screen.plugin && context.license && !context.license.plugins.includes(screen.plugin)) {
    fill(main, h('h1', screen.title), h('p.notice#not-licensed',
      `Not licensed: the ${screen.plugin} plugin is not in this installation's license. `,
      h('a', { href: '#/license' }, 'See the license')));
    return;
  }
  const module = await import(screen.module);
  if (mine !== renderToken) return;
  const heading = h('h1', { tabindex: '-1' }, screen.title);
  const body = h('div');
  fill(main, heading, body);
  try {
    cleanup = (await module.render(body, { ...context, args, query, heading })) || null;
  } catch (error) {
    if (mine === renderToken) body.append(h('p.form-error', { role: 'alert' }, error.message || String(error)));
  }
  if (mine === renderToken) {
    announce(`${screen.title} loaded`);
    // Keyboard and screen-reader users land on the new screen's heading, not on the old link.
    if (focusOnRoute) heading.focus({ preventScroll: true });
  }
}

function showSignedIn() {
  const user = api.user();
  fill($('#who'), user.email, ' · ', user.role, ' · ', h('span#live-status', ''));
  $('#signout').hidden = false;
  nav.hidden = false;
  // On a phone the navigation starts folded behind the Menu button.
  nav.classList.toggle('collapsed', phone.matches);
  onLiveStatus(status => {
    const el = $('#live-status');
    if (el) { el.textContent = status === 'live' ? 'live' : status; el.dataset.status = status; }
  });
}

async function signedIn() {
  const data = await api.gql('{ me { id kind email role } license { plugins edition status trial trialEndsAt customer expiresAt } }');
  context.me = data.me;
  context.license = data.license;
  showSignedIn();
  startLive();
  await route();
}

async function showSignIn(message) {
  stopLive();
  nav.hidden = true;
  $('#signout').hidden = true;
  fill($('#who'));
  document.title = 'Sign in · ITOps';
  const { renderSignIn } = await import('./screens/signin.js');
  renderSignIn(main, { message, onSignedIn: () => signedIn() });
}

api.onSession(session => {
  if (!session) showSignIn('You are signed out.');
  else if (context.me) reconnectLive();
});

$('#signout').addEventListener('click', async () => {
  context.me = null;
  await api.logout();
});

const phone = window.matchMedia('(max-width: 760px)');
phone.addEventListener('change', () => {
  nav.classList.toggle('collapsed', phone.matches);
  $('#menu-toggle').setAttribute('aria-expanded', String(!phone.matches));
});

$('#menu-toggle').addEventListener('click', () => {
  const open = nav.classList.toggle('collapsed') === false;
  $('#menu-toggle').setAttribute('aria-expanded', String(open));
});
nav.addEventListener('click', event => {
  if (event.target.closest('a') && phone.matches) {
    nav.classList.add('collapsed');
    $('#menu-toggle').setAttribute('aria-expanded', 'false');
  }
});

window.addEventListener('hashchange', () => { focusOnRoute = true; route(); });

/** The end of a redirect sign-in: `#signin-code=…` or `#signin-error=…`, read once and cleared from the URL. */
function takeSignInReturn() {
  const found = /^#signin-(code|error)=(.*)$/.exec(location.hash);
  if (!found) return null;
  history.replaceState(null, '', location.pathname + location.search);
  let value = found[2];
  try { value = decodeURIComponent(value); } catch { /* shown as it came */ }
  return { kind: found[1], value };
}

(async () => {
  const returned = takeSignInReturn();
  if (returned?.kind === 'code') {
    try {
      await api.exchangeSignInCode(returned.value);
      await signedIn();
    } catch (error) {
      await showSignIn(`Sign-in failed: ${error.message}`);
    }
    return;
  }
  if (returned?.kind === 'error') {
    await showSignIn(`Sign-in failed: ${returned.value}`);
    return;
  }
  if (await api.resume()) await signedIn();
  else await showSignIn();
})();
