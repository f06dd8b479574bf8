/**
 * /api/v2: Airflow 3's REST API. Each resource registers its routes from its own file;
 * every route is behind authentication (web/app.ts) and checks its role.
 */
import { Router } from 'express';
import type { WebResources } from '../resources.ts';
import { registerMonitor } from './monitor.ts';

export function apiV2Router(r: WebResources): Router {
  const router = Router();
  registerMonitor(router, r);
  return router;
}
