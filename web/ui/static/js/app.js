// The single-page app: hash routes, the login form, and page lifetimes (each page returns
// a cleanup function that drops its live subscriptions when the route changes).
import { api, get, startLive, stopLive } from './api.js';
import { fill, h } from './dom.js';
import { dagListPage } from './dags.js';
import { dagPage } from './dag.js';
import { lineagePage, pipelineListPage } from './pipelines.js';

const main = document.getElementById('main');
let cleanup = null;
let me = null;

function loginPage(message) {
  stopLive();
  me = null;
  document.getElementById('who').textContent = '';
  document.getElementById('logout').hidden = true;
  const error = h('p', { class: 'error', id: 'login-error' }, message ?? '');
  const user = h('input', { name: 'username', id: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { name: 'password', id: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'card login', id: 'login-form', onsubmit: async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    try {
      const { access_token } = await api('POST', '/auth/token', { username: user.value, password: pass.value });
      // A cookie, not localStorage: EventSource cannot send headers. SameSite=Strict keeps other sites from using it.
      document.cookie = `updraft_token=${encodeURIComponent(access_token)}; path=/; SameSite=Strict`;
      await route();
    } catch (err) {
      error.textContent = err.status === 401 ? 'Wrong username or password.' : `Login failed: ${err.message}`;
    }
  } },
  h('h1', {}, 'Sign in to Updraft'),
  h('label', {}, 'Username', user), h('label', {}, 'Password', pass),
  h('button', { type: 'submit', class: 'primary' }, 'Sign in'), error);
  fill(main, form);
  user.focus();
}

async function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  if (!me) {
    try { me = await get('/ui/me'); } catch (err) { if (err.status === 401) return loginPage(); throw err; }
    document.getElementById('who').textContent = `${me.username} (${me.role})`;
    document.getElementById('logout').hidden = false;
    startLive();
  }
  // Split before decoding: run ids hold ':' and '+', which only survive encoded.
  const [pathPart, queryPart] = (location.hash.replace(/^#/, '') || '/').split('?');
  const params = new URLSearchParams(queryPart ?? '');
  const m = /^\/dags\/([^/]+)(?:\/(grid|graph|code|trigger))?$/.exec(pathPart);
  try {
    const pipe = /^\/pipelines(?:\/([^/]+))?$/.exec(pathPart);
    if (m) cleanup = await dagPage(main, decodeURIComponent(m[1]), m[2] ?? 'grid', params, me);
    else if (pipe?.[1]) cleanup = await lineagePage(main, decodeURIComponent(pipe[1]));
    else if (pipe) cleanup = await pipelineListPage(main);
    else cleanup = await dagListPage(main, params, me);
  } catch (err) {
    if (err.status === 401) return loginPage('Your session has expired; sign in again.');
    fill(main, h('div', { class: 'card error' }, err.message));
  }
}

document.getElementById('logout').addEventListener('click', () => {
  document.cookie = 'updraft_token=; path=/; Max-Age=0; SameSite=Strict';
  loginPage('Signed out.');
});
window.addEventListener('updraft:logged-out', () => { if (me) loginPage('Your session has expired; sign in again.'); });
window.addEventListener('hashchange', () => { void route(); });
void route();
