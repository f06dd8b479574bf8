/**
 * POST /auth/token: Airflow 3's way to get an API token. JSON `{username, password}`
 * → 201 `{"access_token": JWT}`; a wrong username or password is a 401 that does not
 * say which.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { authenticate as checkPassword } from '../../core/users/users.ts';
import { recordEvent } from '../../core/transitions/event-log.ts';
import { unauthorized } from '../errors.ts';
import { body } from '../api-v2/params.ts';
import type { WebResources } from '../resources.ts';
import { issueToken } from './tokens.ts';

const Credentials = z.object({ username: z.string().min(1), password: z.string().min(1) }).strict();

export function tokenRoute(r: WebResources) {
  return async (req: Request, res: Response): Promise<void> => {
    const { username, password } = body(req, Credentials);
    const user = await checkPassword(r.db, username, password);
    if (!user) throw unauthorized('Invalid username or password');
    const token = await issueToken(r.secretKey, { username: user.username, role: user.role }, r.config.apiTokenExpiryMs);
    await recordEvent(r.db, { event: 'login', owner: user.username }).catch(() => undefined);
    res.status(201).json({ access_token: token });
  };
}
