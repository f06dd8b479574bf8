/**
 * Reading requests the way Airflow's API does: `limit` (default 50, at most 100) and
 * `offset` paging, `order_by` with a leading `-` for descending (only whitelisted
 * fields, each mapped to a SQL expression here, so user text never reaches SQL), and
 * zod-validated bodies and queries that fail with 422 in FastAPI's shape.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { badRequest, validationError } from '../errors.ts';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

export interface Page { limit: number; offset: number }

const PageSchema = z.object({
  limit: z.coerce.number().int().min(0).default(DEFAULT_LIMIT),
  offset: z.coerce.number().int().min(0).default(0),
});

export function paging(req: Request): Page {
  const raw = { limit: single(req.query.limit), offset: single(req.query.offset) };
  const parsed = PageSchema.safeParse(raw);
  if (!parsed.success) throw validationError('query', parsed.error, raw);
  return { limit: Math.min(parsed.data.limit, MAX_LIMIT), offset: parsed.data.offset };
}

/**
 * `order_by=field` / `-field` (several allowed, comma-separated or repeated) → an ORDER
 * BY clause built only from `allowed` (field name → SQL expression), ending with
 * `tiebreak` so paging is stable.
 */
export function orderBy(req: Request, allowed: Readonly<Record<string, string>>, fallback: string, tiebreak: string): string {
  const raw = req.query.order_by;
  const fields = (raw === undefined ? [fallback] : [raw].flat().flatMap((v) => String(v).split(',')))
    .map((f) => f.trim()).filter(Boolean);
  const parts = fields.map((f) => {
    const desc = f.startsWith('-');
    const name = desc ? f.slice(1) : f;
    const expr = allowed[name];
    if (!expr) {
      throw badRequest(`Ordering with '${name}' is disallowed or the attribute does not exist on the model; allowed: ${Object.keys(allowed).join(', ')}`);
    }
    return `${expr} ${desc ? 'desc' : 'asc'} nulls last`;
  });
  return [...parts, tiebreak].join(', ');
}

/** The request body validated by `schema` (422 naming each bad field otherwise). */
export function body<T>(req: Request, schema: z.ZodType<T>): T {
  const input: unknown = req.body;
  if (input === undefined) throw badRequest('A JSON request body is required (Content-Type: application/json)');
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError('body', parsed.error, input);
  return parsed.data;
}

/** Query parameters validated by `schema`. */
export function query<T>(req: Request, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(req.query);
  if (!parsed.success) throw validationError('query', parsed.error, req.query);
  return parsed.data;
}

/** A query parameter that may repeat (`?tags=a&tags=b`): always a list of strings. */
export function list(req: Request, name: string): string[] {
  const v = req.query[name];
  if (v === undefined) return [];
  return [v].flat().map(String);
}

/** One value of a query parameter (the first when repeated). */
export function single(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? String(v[0]) : String(v);
}

/** Airflow's `*_pattern` filters are SQL LIKE with `%`; the user's own `%`/`_` stay wildcards, as in Airflow. Bound, never concatenated. */
export function likePattern(pattern: string): string {
  return `%${pattern}%`;
}

/** Express 5 gives path parameters as strings; this one, by name. */
export function param(req: Request, name: string): string {
  const v = req.params[name];
  if (typeof v !== 'string') throw badRequest(`missing path parameter ${name}`);
  return v;
}
