/**
 * Bearer-token authentication for /api/v2 and /api/v1, and role checks with Airflow's
 * meaning: reads need `viewer`; running and editing DAGs, runs and task instances need
 * `user`; variables, connections and pools need `op`; users and config need `admin`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { roleAtLeast, type Role } from '../../core/users/users.ts';
import { forbidden, unauthorized } from '../errors.ts';
import type { WebResources } from '../resources.ts';
import { verifyToken, type TokenClaims } from './tokens.ts';

/** Set on every authenticated request. */
export function currentUser(res: Response): TokenClaims {
  const user = res.locals.user as TokenClaims | undefined;
  if (!user) throw unauthorized();
  return user;
}

export function authenticate(r: WebResources): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    // The UI keeps its token in a cookie so that EventSource streams (no headers) work too.
    const token = match?.[1] ?? cookieToken(req);
    if (!token) { next(unauthorized()); return; }
    verifyToken(r.secretKey, token).then((claims) => {
      if (!claims) throw unauthorized('Invalid or expired token');
      res.locals.user = claims;
      next();
    }).catch(next);
  };
}

function cookieToken(req: Request): string | undefined {
  const cookie = req.get('cookie') ?? '';
  const m = /(?:^|;\s*)updraft_token=([^;]+)/.exec(cookie);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/** Reject with 403 unless the user's role is at least `needed`. */
export function requireRole(needed: Role): RequestHandler {
  return (_req, res, next) => {
    const user = currentUser(res);
    next(roleAtLeast(user.role, needed) ? undefined : forbidden(`Forbidden: this needs the ${needed} role; you are ${user.role}`));
  };
}

/** GETs need viewer; any change needs `write` (default user). */
export function readOrWrite(write: Role = 'user'): RequestHandler {
  return (req, res, next) => {
    const needed: Role = req.method === 'GET' || req.method === 'HEAD' ? 'viewer' : write;
    requireRole(needed)(req, res, next);
  };
}
