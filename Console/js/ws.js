// A graphql-transport-ws client for /graphql/ws: one socket for every subscription of the page,
// reopened with backoff, and with a fresh token when the server closes it at expiry (4401).
import { token, refresh } from './api.js';

let socket = null;
let acked = false;
let stopped = true;
let attempt = 0;
let retryTimer = null;
let nextId = 1;
const subscriptions = new Map(); // id -> {query, variables, onNext}
const statusListeners = new Set();
let status = 'closed';

function setStatus(next) {
  status = next;
  for (const fn of statusListeners) fn(status);
}

export const liveStatus = () => status;
export const onLiveStatus = fn => { statusListeners.add(fn); fn(status); };

function send(message) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function subscribeMessage(id, sub) {
  return { id: String(id), type: 'subscribe', payload: { query: sub.query, variables: sub.variables || {} } };
}

function open() {
  clearTimeout(retryTimer);
  if (stopped || !token()) return;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${scheme}//${location.host}/graphql/ws`, 'graphql-transport-ws');
  socket = ws;
  acked = false;
  setStatus('connecting');
  ws.addEventListener('open', () => {
    ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${token()}` } }));
  });
  ws.addEventListener('message', event => {
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    switch (message.type) {
      case 'connection_ack':
        acked = true;
        attempt = 0;
        setStatus('live');
        for (const [id, sub] of subscriptions) send(subscribeMessage(id, sub));
        break;
      case 'next': {
        const sub = subscriptions.get(Number(message.id));
        if (sub && message.payload?.data) sub.onNext(message.payload.data);
        break;
      }
      case 'ping':
        send({ type: 'pong' });
        break;
      case 'error':
        console.warn('subscription refused', message.payload);
        break;
      default:
        break;
    }
  });
  ws.addEventListener('close', event => {
    if (socket !== ws) return;
    socket = null;
    acked = false;
    if (stopped) { setStatus('closed'); return; }
    setStatus('reconnecting');
    if (event.code === 4401 || event.code === 4403) {
      // The token expired or was refused: get a fresh one, then reopen.
      refresh().then(open, () => setStatus('closed'));
      return;
    }
    const delay = Math.min(15000, 500 * 2 ** attempt++);
    retryTimer = setTimeout(open, delay);
  });
}

/** Opens the socket (after sign-in). */
export function startLive() {
  stopped = false;
  if (!socket) open();
}

/** Closes the socket (sign-out). Subscriptions are forgotten. */
export function stopLive() {
  stopped = true;
  subscriptions.clear();
  clearTimeout(retryTimer);
  socket?.close(1000);
  socket = null;
}

/** Reopens with the current token (after a refresh). */
export function reconnectLive() {
  if (stopped) return;
  const old = socket;
  socket = null;
  old?.close(1000);
  open();
}

/** Subscribes; `onNext(data)` per event. Returns the function that ends the subscription. */
export function subscribe(query, variables, onNext) {
  const id = nextId++;
  const sub = { query, variables, onNext };
  subscriptions.set(id, sub);
  if (acked) send(subscribeMessage(id, sub));
  return () => {
    if (subscriptions.delete(id) && acked) send({ id: String(id), type: 'complete' });
  };
}
