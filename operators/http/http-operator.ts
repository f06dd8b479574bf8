/**
 * HttpOperator: one HTTP request on a connection (Airflow's HttpOperator/HttpHook).
 * The URL is the connection's `host` when it carries a scheme, otherwise
 * `schema://host:port` with schema defaulting to http; `endpoint` is appended. The
 * connection's `extra` object supplies default headers, `login`/`password` basic auth.
 * A GET sends `data` as query parameters, other methods as the body (JSON for objects).
 * Non-2xx fails the task; `response_check(text, ctx)` returning false fails it too. The
 * response text is the XCom.
 */
import { z } from 'zod';
import { BaseOperator, type TaskArgs } from '../../core/authoring/base-operator.ts';
import type { TaskContext } from '../../core/authoring/context.ts';
import type { ConnectionView } from '../../core/templating/index.ts';

const HttpArgsSchema = z.object({
  http_conn_id: z.string().min(1).optional(),
  endpoint: z.string().optional(),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).optional(),
  data: z.union([z.string(), z.record(z.string(), z.unknown())]).nullable().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  log_response: z.boolean().optional(),
  /** Seconds before the request is abandoned (default 60). */
  timeout: z.number().positive().optional(),
}).strict();
export type HttpArgs = z.infer<typeof HttpArgsSchema>;

export type ResponseCheck = (responseText: string, ctx: TaskContext) => boolean | Promise<boolean>;

export class HttpOperator extends BaseOperator<HttpArgs> {
  readonly operatorType = 'http';
  override readonly templateFields = ['endpoint', 'data', 'headers'];
  override readonly needsDagFile: boolean;
  readonly responseCheck: ResponseCheck | null;

  constructor(args: TaskArgs & HttpArgs & { response_check?: ResponseCheck }) {
    const { response_check, ...rest } = args;
    super(rest, HttpArgsSchema);
    if (response_check !== undefined && typeof response_check !== 'function') {
      throw new Error(`task "${args.task_id}": response_check must be a function`);
    }
    this.responseCheck = response_check ?? null;
    // A function cannot be serialized: workers import the DAG file to get it.
    this.needsDagFile = this.responseCheck !== null;
  }

  async execute(args: HttpArgs, ctx: TaskContext): Promise<string> {
    const conn = await ctx.getConnection(args.http_conn_id ?? 'http_default');
    const method = args.method ?? 'POST';
    const url = requestUrl(conn, args.endpoint ?? '');
    const headers: Record<string, string> = { ...extraHeaders(conn), ...(args.headers ?? {}) };
    if (conn.login) headers.authorization = `Basic ${Buffer.from(`${conn.login}:${conn.password ?? ''}`).toString('base64')}`;
    let body: string | undefined;
    if (args.data !== undefined && args.data !== null) {
      if (method === 'GET' || method === 'HEAD') {
        const params = typeof args.data === 'string' ? new URLSearchParams(args.data) : Object.entries(args.data);
        for (const [k, v] of params) url.searchParams.append(k, String(v));
      } else if (typeof args.data === 'string') {
        body = args.data;
      } else {
        body = JSON.stringify(args.data);
        headers['content-type'] ??= 'application/json';
      }
    }
    const timeoutMs = (args.timeout ?? 60) * 1000;
    ctx.log.info(`${method} ${url.origin}${url.pathname} (connection "${conn.conn_id}")`);
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]) });
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('task aborted');
      const why = err instanceof Error && err.name === 'TimeoutError' ? `no answer in ${timeoutMs / 1000} s` : String((err as { cause?: unknown }).cause ?? err);
      throw new Error(`${method} ${url.origin}${url.pathname} failed: ${why}`);
    }
    const text = await res.text();
    if (args.log_response) ctx.log.info(text);
    if (!res.ok) {
      throw new Error(`${method} ${url.origin}${url.pathname} answered HTTP ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 300)}` : ''}`);
    }
    if (this.responseCheck && !(await this.responseCheck(text, ctx))) {
      throw new Error(`response_check returned false for ${method} ${url.origin}${url.pathname} (HTTP ${res.status})`);
    }
    return text;
  }
}

function requestUrl(conn: ConnectionView, endpoint: string): URL {
  if (!conn.host) throw new Error(`connection "${conn.conn_id}" has no host`);
  const base = /^https?:\/\//i.test(conn.host)
    ? conn.host
    : `${conn.schema && /^https?$/i.test(conn.schema) ? conn.schema.toLowerCase() : 'http'}://${conn.host}${conn.port ? `:${conn.port}` : ''}`;
  const joined = endpoint ? `${base.replace(/\/+$/, '')}/${endpoint.replace(/^\/+/, '')}` : base;
  try {
    return new URL(joined);
  } catch {
    throw new Error(`connection "${conn.conn_id}" and endpoint ${JSON.stringify(endpoint)} do not make a URL`);
  }
}

/** Airflow's HttpHook takes default headers from the connection's extra object. */
function extraHeaders(conn: ConnectionView): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(conn.extra)) if (typeof v === 'string') out[k] = v;
  return out;
}
