/**
 * Query parameters beyond params.ts, shared by the configuration resources.
 *
 * Airflow's `*_pattern` search parameters: case-insensitive SQL LIKE on a substring
 * (`%` and `_` stay wildcards, as in Airflow), and `a | b` for either. The values are
 * bound parameters, never SQL text.
 */
import type { Request } from 'express';
import { badRequest } from '../errors.ts';
import { likePattern, list } from './params.ts';

/** `column ilike any(?)` and its binding, or null when the pattern is empty. */
export function patternFilter(column: string, pattern: string | undefined | null): { sql: string; binding: string[] } | null {
  if (pattern === undefined || pattern === null) return null;
  const parts = pattern.split('|').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return null;
  return { sql: `${column} ilike any(?::text[])`, binding: parts.map(likePattern) };
}

/** `update_mask` (repeated or comma-separated): the fields a PATCH may change; null for all. */
export function updateMask(req: Request, allowed: readonly string[]): string[] | null {
  const mask = list(req, 'update_mask').flatMap((m) => m.split(',')).map((m) => m.trim()).filter(Boolean);
  if (mask.length === 0) return null;
  const bad = mask.filter((m) => !allowed.includes(m));
  if (bad.length > 0) throw badRequest(`Invalid field(s) in update_mask: ${bad.join(', ')}; allowed: ${allowed.join(', ')}`);
  return mask;
}
