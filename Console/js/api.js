// The console's only way to the server: GraphQL over fetch with the access token, which lives in
// this module's memory. The single-use refresh token is kept in sessionStorage (this tab only) so a
// reload keeps the session; see docs/console.md for why.

const REFRESH_KEY = 'itops.refresh';
let session = null; // {token, expiresAt, user}
let refreshing = null;
let refreshTimer = null;
const listeners = new Set();

/** A GraphQL answer with errors: `code` and `field` (from "field: message") of the first one. */
export class GraphQLFailure extends Error {
  constructor(errors, data, status) {
    const first = errors[0] || {};
    super(first.message || `HTTP ${status}`);
    this.errors = errors;
    this.data = data;
    this.code = first.extensions?.code || (status ? `HTTP_${status}` : 'NETWORK');
    const match = /^([A-Za-z0-9_.\[\]]+): /.exec(first.message || '');
    this.field = match ? match[1].split('.').pop().replace(/\[\d+\]$/, '') : null;
  }
}

export const token = () => session?.token || null;
export const user = () => session?.user || null;
export const onSession = fn => listeners.add(fn);

function setSession(payload) {
  session = payload ? { token: payload.token, expiresAt: payload.expiresAt, user: payload.user } : null;
  if (payload?.refreshToken) sessionStorage.setItem(REFRESH_KEY, payload.refreshToken);
  if (!payload) sessionStorage.removeItem(REFRESH_KEY);
  clearTimeout(refreshTimer);
  if (session) {
    // Refresh a minute before the hour is up; the WebSocket is reopened with the new token.
    const wait = Math.max(5000, new Date(session.expiresAt) - Date.now() - 60000);
    refreshTimer = setTimeout(() => refresh().catch(() => signedOut()), wait);
  }
  for (const fn of listeners) fn(session);
}

function signedOut() {
  setSession(null);
}

async function post(query, variables, bearer) {
  const headers = { 'Content-Type': 'application/json' };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch (error) {
    throw new GraphQLFailure([{ message: 'The server cannot be reached.', extensions: { code: 'NETWORK' } }], null, 0);
  }
  let body;
  try { body = await response.json(); } catch { body = null; }
  if (!body) throw new GraphQLFailure([{ message: `The server answered ${response.status}.` }], null, response.status);
  if (body.errors?.length) throw new GraphQLFailure(body.errors, body.data, response.status);
  return body.data;
}

/** Runs a query or mutation as the signed-in user; one silent refresh when the token has expired. */
export async function gql(query, variables = {}) {
  try {
    return await post(query, variables, token());
  } catch (error) {
    if (error instanceof GraphQLFailure && error.code === 'UNAUTHENTICATED' && sessionStorage.getItem(REFRESH_KEY)) {
      await refresh();
      return post(query, variables, token());
    }
    throw error;
  }
}

const PAYLOAD = 'token refreshToken expiresAt user { id email role }';

export async function login(email, password) {
  const data = await post(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { ${PAYLOAD} } }`,
    { e: email, p: password });
  setSession(data.login);
  return data.login.user;
}

/** Ends a redirect sign-in (OIDC): spends the one-time code from the URL fragment for a session. */
export async function exchangeSignInCode(code) {
  const data = await post(`mutation($c: String!) { exchangeSignInCode(code: $c) { ${PAYLOAD} } }`, { c: code });
  setSession(data.exchangeSignInCode);
  return data.exchangeSignInCode.user;
}

/** Spends the stored refresh token for a new pair; concurrent callers share one exchange. */
export function refresh() {
  if (refreshing) return refreshing;
  const stored = sessionStorage.getItem(REFRESH_KEY);
  if (!stored) return Promise.reject(new GraphQLFailure([{ message: 'Not signed in.', extensions: { code: 'UNAUTHENTICATED' } }]));
  refreshing = post(`mutation($r: String!) { refreshToken(refreshToken: $r) { ${PAYLOAD} } }`, { r: stored })
    .then(data => { setSession(data.refreshToken); return data.refreshToken.user; })
    .catch(error => { if (error.code !== 'NETWORK') signedOut(); throw error; })
    .finally(() => { refreshing = null; });
  return refreshing;
}

/** Resumes the tab's session after a reload; false when there is none. */
export async function resume() {
  if (!sessionStorage.getItem(REFRESH_KEY)) return false;
  try { await refresh(); return true; } catch { return false; }
}

export async function logout() {
  const stored = sessionStorage.getItem(REFRESH_KEY);
  try {
    if (token()) await post('mutation($r: String) { logout(refreshToken: $r) }', { r: stored }, token());
  } finally {
    signedOut();
  }
}

export async function providers() {
  const response = await fetch('/api/v1/auth/providers');
  const body = await response.json();
  return body.providers || [];
}

/** A REST GET with the token (e.g. report downloads), as text. */
export async function restText(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try { message = JSON.parse(text).error || text; } catch { /* keep the text */ }
    throw new Error(message);
  }
  return text;
}

const ranks = { viewer: 0, operator: 1, admin: 2 };
/** The signed-in user holds at least `role`. */
export const can = role => (ranks[user()?.role] ?? -1) >= ranks[role];
