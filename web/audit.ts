/**
 * Record a change made through the API or UI in the event log, owned by the calling
 * user. A failure to write the audit row is logged, never turned into a failed request.
 */
import type { Response } from 'express';
import { recordEvent, type AuditEvent } from '../core/transitions/event-log.ts';
import { currentUser } from './auth/middleware.ts';
import type { WebResources } from './resources.ts';

export async function audit(r: WebResources, res: Response, e: Omit<AuditEvent, 'owner'>): Promise<void> {
  try {
    await recordEvent(r.db, { ...e, owner: currentUser(res).username });
  } catch (err) {
    r.log.warn({ err, event: e.event }, 'could not write the event log');
  }
}
