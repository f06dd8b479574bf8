/**
 * /api/v2: Airflow 3's REST API. Each resource registers its routes from its own file;
 * every route is behind authentication (web/app.ts) and checks its role.
 */
import { Router } from 'express';
import type { WebResources } from '../resources.ts';
import { registerMonitor } from './monitor.ts';
import { registerDagRunApi } from './dag-runs.ts';
import { registerConfigResources } from './config-resources.ts';
import { registerTaskInstanceApi } from './task-instances.ts';
import { registerDagResources } from './dag-resources.ts';

export function apiV2Router(r: WebResources): Router {
  const router = Router();
  registerMonitor(router, r);
  registerDagRunApi(router, r);
  registerConfigResources(router, r);
  registerTaskInstanceApi(router, r);
  registerDagResources(router, r);
  return router;
}
