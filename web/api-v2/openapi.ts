/**
 * /api/v2/openapi.json: the OpenAPI 3.1 document of what Updraft serves. It is built
 * from Airflow's own document (../shared/reference/airflow-rest-api-v2.yaml, beside the
 * repository, read when first asked for) keeping only the operations the /api/v2 router
 * really has, found in its route table, so it cannot claim an endpoint that is not
 * there; plus Updraft's POST /auth/token. Served without a token, as Airflow serves its
 * /openapi.json: it describes the API, not anyone's data.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RequestHandler, Router } from 'express';
import YAML from 'yaml';
import { HttpError } from '../errors.ts';
import { UPDRAFT_VERSION } from './monitor.ts';

/** Resolved from the repository root (this file is web/api-v2/openapi.ts). */
export const AIRFLOW_SPEC_PATH = path.resolve(import.meta.dirname, '../../../shared/reference/airflow-rest-api-v2.yaml');

type Operation = Record<string, unknown>;
interface OpenApiDoc { openapi: string; info: Record<string, unknown>; paths: Record<string, Record<string, Operation>>; components?: Record<string, unknown> }

interface RouteLayer { route?: { path: unknown; methods: Record<string, boolean> } }

/** `METHOD /api/v2/...{param}` for every route of the router (express `:param` → `{param}`). */
export function registeredOperations(router: Router, prefix = '/api/v2'): Set<string> {
  const out = new Set<string>();
  for (const layer of (router as unknown as { stack: RouteLayer[] }).stack) {
    const route = layer.route;
    if (!route || typeof route.path !== 'string') continue;
    const p = prefix + route.path.replace(/:(\w+)/g, '{$1}');
    for (const [m, on] of Object.entries(route.methods)) if (on) out.add(`${m.toLowerCase()} ${p}`);
  }
  return out;
}

const AUTH_TOKEN: Record<string, Operation> = {
  post: {
    summary: 'Create Token',
    description: 'Exchange a username and password for a JWT to send as `Authorization: Bearer <token>` (Updraft).',
    operationId: 'create_token',
    tags: ['Login'],
    requestBody: {
      required: true,
      content: { 'application/json': { schema: {
        type: 'object', additionalProperties: false, required: ['username', 'password'],
        properties: { username: { type: 'string', minLength: 1 }, password: { type: 'string', minLength: 1 } },
      } } },
    },
    responses: {
      201: { description: 'Successful Response', content: { 'application/json': { schema: {
        type: 'object', required: ['access_token'], properties: { access_token: { type: 'string' } },
      } } } },
      401: { description: 'Unauthorized', content: { 'application/json': { schema: { $ref: '#/components/schemas/HTTPExceptionResponse' } } } },
      422: { description: 'Validation Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/HTTPValidationError' } } } },
    },
  },
};

function readAirflowSpec(file: string): OpenApiDoc {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new HttpError(500, `The OpenAPI document cannot be built: Airflow's API description is missing at ${file} (it belongs in ../shared/reference beside the repository)`);
  }
  return YAML.parse(text) as OpenApiDoc;
}

/** Airflow's document cut down to `served` (`"get /api/v2/..."` entries). */
export function buildDocument(airflow: OpenApiDoc, served: Set<string>): OpenApiDoc {
  const paths: OpenApiDoc['paths'] = {};
  for (const [p, ops] of Object.entries(airflow.paths)) {
    const kept = Object.fromEntries(Object.entries(ops).filter(([m]) => served.has(`${m} ${p}`)));
    if (Object.keys(kept).length > 0) paths[p] = kept;
  }
  paths['/auth/token'] = AUTH_TOKEN;
  return {
    ...airflow,
    info: {
      title: 'Updraft API', version: UPDRAFT_VERSION,
      description: 'Airflow 3\'s REST API (/api/v2) as Updraft serves it: the operations listed here only, with Airflow\'s paths, parameters, fields and errors.',
    },
    paths,
  };
}

export function openapiRoute(v2: Router, file = AIRFLOW_SPEC_PATH): RequestHandler {
  let doc: OpenApiDoc | null = null;
  return (_req, res) => {
    // Built once: routes are fixed when the app starts.
    doc ??= buildDocument(readAirflowSpec(file), registeredOperations(v2));
    res.json(doc);
  };
}
