/**
 * The configuration resources and the audit trail, registered together so that
 * router.ts needs one line for them: variables, connections, pools, eventLogs, config.
 */
import type { Router } from 'express';
import type { WebResources } from '../resources.ts';
import { registerConfig } from './config.ts';
import { registerConnections } from './connections.ts';
import { registerEventLogs } from './event-logs.ts';
import { registerPools } from './pools.ts';
import { registerVariables } from './variables.ts';

export function registerConfigResources(router: Router, r: WebResources): void {
  registerVariables(router, r);
  registerConnections(router, r);
  registerPools(router, r);
  registerEventLogs(router, r);
  registerConfig(router, r);
}
