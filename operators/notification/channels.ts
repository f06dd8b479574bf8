/**
 * Where a notification goes, by its connection's `conn_type`:
 *   webhook  POST {"text", "dag_id", "task_id", "run_id", "logical_date"} as JSON to the
 *            connection's URL: `host` when it is a full http(s) URL, otherwise built from
 *            `schema` (http or https, default https), `host` and `port`; `extra.endpoint`
 *            is appended and `extra.headers` added; `login`/`password` give basic auth.
 *   slack    POST {"text"} to the incoming-webhook URL: `extra.webhook_url`, else `host`
 *            (with `password` appended as the webhook token when it is set, Airflow's
 *            style: host https://hooks.slack.com/services, password T000/B000/XXX).
 *   log      write the message to the task's log.
 *   kafka    produce one JSON record {text, dag_id, task_id, run_id, logical_date} to the
 *            topic in `extra.topic`, brokers from `host` ("h1:9092,h2:9092"); the record
 *            key is the dag_id, so one DAG's notifications stay in order.
 */
import type { TaskContext } from '../../core/authoring/context.ts';
import type { ConnectionView } from '../../core/templating/index.ts';
import { brokersOf } from '../kafka/brokers.ts';
import { produceRecords } from '../kafka/produce-operator.ts';

export interface Delivery { message: string; ctx: TaskContext }

/** How long one HTTP delivery may take before it fails. */
const HTTP_TIMEOUT_MS = 30_000;

export const CHANNEL_TYPES = ['webhook', 'slack', 'log', 'kafka'] as const;

export async function deliver(conn: ConnectionView, d: Delivery): Promise<void> {
  switch (conn.conn_type.toLowerCase()) {
    case 'log':
      d.ctx.log.info(`notification: ${d.message}`);
      return;
    case 'slack':
      await postJson(conn, slackUrl(conn), { text: d.message }, {}, d.ctx);
      return;
    case 'webhook':
    case 'http': {
      const { url, headers } = webhookTarget(conn);
      await postJson(conn, url, {
        text: d.message, dag_id: d.ctx.dag_id, task_id: d.ctx.task_id, run_id: d.ctx.run_id,
        logical_date: d.ctx.logical_date?.toISOString() ?? null,
      }, headers, d.ctx);
      return;
    }
    case 'kafka':
      await sendKafka(conn, d);
      return;
    default:
      throw new Error(`connection "${conn.conn_id}" has conn_type "${conn.conn_type}", which is not a notification channel; `
        + `use one of: ${CHANNEL_TYPES.join(', ')}`);
  }
}

function httpUrl(conn: ConnectionView, raw: string, what: string): URL {
  let url: URL;
  try { url = new URL(raw); } catch { throw new Error(`connection "${conn.conn_id}": ${what} ${JSON.stringify(raw)} is not a URL`); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`connection "${conn.conn_id}": ${what} must be an http or https URL, not ${url.protocol}`);
  }
  return url;
}

export function slackUrl(conn: ConnectionView): URL {
  const fromExtra = conn.extra.webhook_url;
  if (typeof fromExtra === 'string' && fromExtra) return httpUrl(conn, fromExtra, 'extra.webhook_url');
  const host = conn.host ?? (conn.password ? 'https://hooks.slack.com/services' : null);
  if (!host) {
    throw new Error(`connection "${conn.conn_id}" (slack) has no webhook URL: set its host (or extra.webhook_url) to the incoming-webhook URL`);
  }
  const base = /^https?:\/\//i.test(host) ? host : `https://${host}`;
  if (conn.password && !base.includes(conn.password)) return httpUrl(conn, `${base.replace(/\/+$/, '')}/${conn.password.replace(/^\/+/, '')}`, 'host');
  return httpUrl(conn, base, 'host');
}

export function webhookTarget(conn: ConnectionView): { url: URL; headers: Record<string, string> } {
  if (!conn.host) throw new Error(`connection "${conn.conn_id}" (webhook) has no host: set it to the URL to POST to`);
  let raw = conn.host;
  if (!/^https?:\/\//i.test(raw)) {
    const scheme = conn.schema && /^https?$/i.test(conn.schema) ? conn.schema.toLowerCase() : 'https';
    raw = `${scheme}://${raw}${conn.port ? `:${conn.port}` : ''}`;
  }
  const endpoint = conn.extra.endpoint;
  if (typeof endpoint === 'string' && endpoint) raw = `${raw.replace(/\/+$/, '')}/${endpoint.replace(/^\/+/, '')}`;
  const headers: Record<string, string> = {};
  const extraHeaders = conn.extra.headers;
  if (extraHeaders && typeof extraHeaders === 'object' && !Array.isArray(extraHeaders)) {
    for (const [k, v] of Object.entries(extraHeaders)) if (typeof v === 'string') headers[k] = v;
  }
  if (conn.login) headers.authorization = `Basic ${Buffer.from(`${conn.login}:${conn.password ?? ''}`).toString('base64')}`;
  return { url: httpUrl(conn, raw, 'host'), headers };
}

async function postJson(conn: ConnectionView, url: URL, body: unknown, headers: Record<string, string>, ctx: TaskContext): Promise<void> {
  const shown = `${url.origin}${url.pathname.length > 1 ? '/...' : ''}`; // webhook paths are secrets: do not log them
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(HTTP_TIMEOUT_MS)]);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST', body: JSON.stringify(body), signal,
      headers: { 'content-type': 'application/json', ...headers },
    });
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('task aborted');
    const why = err instanceof Error && err.name === 'TimeoutError' ? `no answer in ${HTTP_TIMEOUT_MS / 1000} s`
      : String((err as { cause?: unknown }).cause ?? err);
    throw new Error(`notification via connection "${conn.conn_id}" to ${shown} failed: ${why}`);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) {
    const excerpt = text.length > 300 ? `${text.slice(0, 300)}...` : text;
    throw new Error(`notification via connection "${conn.conn_id}" to ${shown} failed: HTTP ${res.status} ${res.statusText}${excerpt ? `: ${excerpt}` : ''}`);
  }
  ctx.log.info(`notification sent via connection "${conn.conn_id}" (${conn.conn_type}) to ${shown}: HTTP ${res.status}`);
}

async function sendKafka(conn: ConnectionView, d: Delivery): Promise<void> {
  const topic = conn.extra.topic;
  if (typeof topic !== 'string' || !topic) {
    throw new Error(`connection "${conn.conn_id}" (kafka) has no topic: set extra.topic, e.g. --conn-extra '{"topic": "alerts"}'`);
  }
  const brokers = brokersOf(conn);
  const value = JSON.stringify({
    text: d.message, dag_id: d.ctx.dag_id, task_id: d.ctx.task_id, run_id: d.ctx.run_id,
    logical_date: d.ctx.logical_date?.toISOString() ?? null,
  });
  const r = await produceRecords(brokers, topic, [{ key: d.ctx.dag_id, value }], d.ctx.signal);
  d.ctx.log.info(`notification sent via connection "${conn.conn_id}" (kafka) to topic ${topic}, partition ${r.partitions.join(',')}`);
}
