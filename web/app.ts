/**
 * The api-server's express app: Airflow 3's REST API under /api/v2, the pipeline API
 * under /api/v1, tokens from /auth/token, and the UI. JSON bodies are capped in size;
 * every error leaves as `{"detail": ...}` with a 4xx status, or a 500 without a stack.
 */
import express, { type Express } from 'express';
import { authenticate } from './auth/middleware.ts';
import { tokenRoute } from './auth/token-route.ts';
import { apiV2Router } from './api-v2/router.ts';
import { openapiRoute } from './api-v2/openapi.ts';
import { pipelinesRouter } from './pipelines/router.ts';
import { uiRouter, UI_STATIC } from './ui/router.ts';
import { health, UPDRAFT_VERSION } from './api-v2/monitor.ts';
import { errorHandler, unknownRoute } from './errors.ts';
import type { WebResources } from './resources.ts';

/** Large enough for a DAG run's conf or a pipeline definition, small enough to refuse abuse. */
export const MAX_BODY = '1mb';

export function createWebApp(r: WebResources): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  app.use(express.json({ limit: MAX_BODY, strict: false }));
  app.post('/auth/token', tokenRoute(r));
  // Public in Airflow: load balancers and scripts check them without a token.
  app.get('/api/v2/monitor/health', async (_req, res) => { res.json(await health(r)); });
  app.get('/api/v2/version', (_req, res) => { res.json({ version: UPDRAFT_VERSION, git_version: null }); });
  const v2 = apiV2Router(r);
  // Public, as Airflow's /openapi.json: it describes the API, not anyone's data.
  app.get('/api/v2/openapi.json', openapiRoute(v2));
  app.use('/api/v2', authenticate(r), v2);
  app.use('/api/v1', authenticate(r), pipelinesRouter(r));
  app.use('/ui', authenticate(r), uiRouter(r));
  app.use(express.static(UI_STATIC, { index: 'index.html' }));
  app.use(unknownRoute);
  app.use(errorHandler(r.log));
  return app;
}
