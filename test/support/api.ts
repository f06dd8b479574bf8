/**
 * The api-server for integration tests: started in-process on a free loopback port
 * against the harness's database, with one user per role, plus a small fetch client and
 * validation of response bodies against Airflow's own OpenAPI document
 * (../shared/reference/airflow-rest-api-v2.yaml) with openapi-response-validator.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import ORV from 'openapi-response-validator';
import YAML from 'yaml';
import { createUser, ROLES, type Role } from '../../core/users/users.ts';
import { issueToken } from '../../web/auth/tokens.ts';
import { ApiServer } from '../../web/server.ts';
import type { Harness } from './harness.ts';

export interface ApiResponse<T = any> { status: number; body: T; text: string; headers: Headers }

export const passwordOf = (role: Role) => `password-${role}`;

export class ApiClient {
  private readonly tokens = new Map<Role, string>();

  private constructor(readonly h: Harness, readonly server: ApiServer, readonly baseUrl: string, private readonly key: Uint8Array) {}

  /** Start a server for `h` (stopped with it) and create users admin, op, user, viewer (password `password-<role>`). */
  static async start(h: Harness): Promise<ApiClient> {
    const key = randomBytes(32);
    const server = h.track(new ApiServer({ config: h.config, db: h.db, log: h.log('api-server'), secretKey: key }));
    await server.start(0, '127.0.0.1');
    for (const role of ROLES) await createUser(h.db, role, passwordOf(role), role, true);
    return new ApiClient(h, server, `http://127.0.0.1:${server.port}`, key);
  }

  /** A valid token for the user named after the role (minted directly; /auth/token has its own tests). */
  async token(role: Role = 'admin'): Promise<string> {
    let t = this.tokens.get(role);
    if (!t) { t = await issueToken(this.key, { username: role, role }, 3_600_000); this.tokens.set(role, t); }
    return t;
  }

  /**
   * `role: null` sends no token. `body` is sent as JSON unless `rawBody` is given;
   * the reply's JSON (if any) is parsed into `body`.
   */
  async request<T = any>(method: string, urlPath: string, opts: {
    body?: unknown; rawBody?: string; role?: Role | null; headers?: Record<string, string>;
  } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    const role = opts.role === undefined ? 'admin' : opts.role;
    if (role) headers.authorization = `Bearer ${await this.token(role)}`;
    let payload: string | undefined;
    if (opts.rawBody !== undefined) payload = opts.rawBody;
    else if (opts.body !== undefined) payload = JSON.stringify(opts.body);
    if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(this.baseUrl + urlPath, { method, headers, body: payload });
    const text = await res.text();
    let body: unknown = undefined;
    try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
    return { status: res.status, body: body as T, text, headers: res.headers };
  }

  get<T = any>(p: string, role: Role | null = 'admin') { return this.request<T>('GET', p, { role }); }
  post<T = any>(p: string, body?: unknown, role: Role | null = 'admin') { return this.request<T>('POST', p, { body, role }); }
  patch<T = any>(p: string, body?: unknown, role: Role | null = 'admin') { return this.request<T>('PATCH', p, { body, role }); }
  put<T = any>(p: string, body?: unknown, role: Role | null = 'admin') { return this.request<T>('PUT', p, { body, role }); }
  delete<T = any>(p: string, role: Role | null = 'admin') { return this.request<T>('DELETE', p, { role }); }
}

/** The package is CommonJS with a default export; under ESM it arrives wrapped once. */
const OpenAPIResponseValidator = ((ORV as unknown as { default?: typeof ORV }).default ?? ORV) as unknown as new (args: {
  responses: never; components: never;
}) => { validateResponse(status: number, body: unknown): { errors: unknown[] } | undefined };

let spec: { paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: unknown } | null = null;

function airflowSpec() {
  spec ??= nullableRefs(YAML.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../shared/reference/airflow-rest-api-v2.yaml'), 'utf8')));
  return spec!;
}

/**
 * Airflow's document writes a nullable reference as `{$ref, nullable: true}` (e.g. a task
 * instance's `state`); JSON Schema ignores siblings of $ref, so the validator would refuse
 * the null Airflow itself sends. `{anyOf: [{$ref}], nullable: true}` says what is meant.
 */
function nullableRefs<T>(node: T): T {
  if (Array.isArray(node)) return node.map(nullableRefs) as T;
  if (node === null || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  if (typeof o.$ref === 'string' && o.nullable === true) {
    const { $ref, nullable: _n, ...rest } = o;
    return { ...rest, anyOf: [{ $ref }], nullable: true } as T;
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, nullableRefs(v)])) as T;
}

/**
 * Assert that a response matches Airflow's OpenAPI document for `method specPath` and its
 * status (e.g. `expectAirflowSpec(res, 'get', '/api/v2/dags/{dag_id}')`): the status must
 * be one the operation declares, and the body must satisfy its schema.
 */
export function expectAirflowSpec(res: ApiResponse, method: string, specPath: string): void {
  const s = airflowSpec();
  const op = s.paths[specPath]?.[method.toLowerCase()];
  expect(op, `${method.toUpperCase()} ${specPath} is not in Airflow's API`).to.not.equal(undefined);
  expect(Object.keys(op!.responses), `status ${res.status} of ${method.toUpperCase()} ${specPath}`).to.include(String(res.status));
  const validator = new OpenAPIResponseValidator({ responses: op!.responses as never, components: s.components as never });
  const errors = validator.validateResponse(res.status, res.body);
  expect(errors, `${method.toUpperCase()} ${specPath} -> ${res.status} against Airflow's spec: ${JSON.stringify(errors?.errors)}\nbody: ${res.text.slice(0, 800)}`).to.equal(undefined);
}
