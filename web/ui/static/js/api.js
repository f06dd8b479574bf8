// Talking to the server: JSON requests with the token cookie (sent by the browser), and
// one EventSource for live changes that every page subscribes to.
export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === 'string' ? detail : JSON.stringify(detail));
    this.status = status;
    this.detail = detail;
  }
}

export async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/auth/')) window.dispatchEvent(new Event('updraft:logged-out'));
    throw new ApiError(res.status, data?.detail ?? text);
  }
  return data;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b ?? {});
export const enc = encodeURIComponent;

const listeners = new Set();
let source = null;

/** Subscribe to live events ({type: 'run'|'ti'|'dags', ...}); returns the unsubscribe function. */
export function onLive(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function startLive() {
  if (source) return;
  source = new EventSource('/ui/events');
  const dot = document.getElementById('live');
  source.onopen = () => dot?.classList.add('on');
  source.onerror = () => dot?.classList.remove('on');
  source.onmessage = (m) => {
    let e;
    try { e = JSON.parse(m.data); } catch { return; }
    for (const fn of listeners) fn(e);
  };
}

export function stopLive() {
  source?.close();
  source = null;
}

/** Run `fn` at most once per `ms`, at the end of a burst (live events arrive in bursts). */
export function debounce(fn, ms = 250) {
  let t = null;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}
