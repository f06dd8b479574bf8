/**
 * /api/v1: the pipeline API (the seed's Pipeline Service). Mounted behind the same
 * bearer-token authentication as /api/v2 (web/app.ts); reads need viewer, changes user.
 */
import { Router } from 'express';
import type { WebResources } from '../resources.ts';
import { registerLineageRoute } from './lineage.ts';
import { registerPipelineRoutes } from './pipelines.ts';
import { registerRunRoutes } from './runs.ts';

export function pipelinesRouter(r: WebResources): Router {
  const router = Router();
  registerPipelineRoutes(router, r);
  registerRunRoutes(router, r);
  registerLineageRoute(router, r);
  return router;
}
