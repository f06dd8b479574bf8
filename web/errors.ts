/**
 * Errors as the API answers them, in Airflow's shape: `{"detail": "..."}` with the
 * status, and FastAPI's list form for validation errors (422). Known domain errors map
 * to their status; anything else is a 500 whose details go to the server log only.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { UserInputError } from '../core/errors.ts';
import { ConflictError, NotFoundError } from '../core/transitions/trigger-run.ts';
import type { Logger } from '../core/logging.ts';

export class HttpError extends Error {
  constructor(readonly status: number, readonly detail: unknown) {
    super(typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
}

export const badRequest = (detail: string) => new HttpError(400, detail);
export const notFound = (detail: string) => new HttpError(404, detail);
export const conflict = (detail: string) => new HttpError(409, detail);
export const forbidden = (detail = 'Forbidden') => new HttpError(403, detail);
export const unauthorized = (detail = 'Not authenticated') => new HttpError(401, detail);

/** One FastAPI-style validation item: where (`["body", "conf"]`), what, and the input. */
export interface ValidationItem { type: string; loc: Array<string | number>; msg: string; input?: unknown }

export class ValidationError extends HttpError {
  constructor(readonly items: ValidationItem[]) {
    super(422, items);
  }
}

/** zod issues → 422 items, `where` being "body", "query" or "path". */
export function validationError(where: string, err: z.ZodError, input: unknown): ValidationError {
  return new ValidationError(err.issues.map((i) => ({
    type: i.code === 'invalid_type' && i.message.includes('received undefined') ? 'missing' : i.code,
    loc: [where, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    msg: i.message,
    input: pick(input, i.path),
  })));
}

function pick(input: unknown, path: PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

export const unknownRoute: RequestHandler = (req, _res, next) => next(new HttpError(404, `Not Found: ${req.method} ${req.path}`));

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const { status, detail } = describe(err);
    if (status >= 500) log.error({ err, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) return;
    res.status(status).json({ detail });
  };
}

function describe(err: unknown): { status: number; detail: unknown } {
  if (err instanceof HttpError) return { status: err.status, detail: err.detail };
  if (err instanceof NotFoundError) return { status: 404, detail: err.message };
  if (err instanceof ConflictError) return { status: 409, detail: err.message };
  if (err instanceof UserInputError) return { status: 400, detail: err.message };
  // body-parser's errors carry their status: malformed JSON (400), too large (413), bad charset (415).
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.parse.failed') return { status: 400, detail: `Malformed JSON in the request body: ${e.message ?? ''}`.trim() };
  if (e?.type === 'entity.too.large') return { status: 413, detail: 'The request body is too large' };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return { status: e.status, detail: e.message ?? 'Bad request' };
  return { status: 500, detail: 'Internal Server Error' };
}
