/**
 * /ui: private endpoints of the browser UI (as Airflow 3's UI has its own, next to the
 * public REST API). They answer exactly what a page needs in few queries (the grid,
 * the graph, a task instance's panel), stream live changes (events.ts), and run the
 * UI's actions through the same core functions as the CLI and the REST API, with the
 * same roles and audit records.
 */
import path from 'node:path';
import { Router } from 'express';
import { currentUser } from '../auth/middleware.ts';
import type { WebResources } from '../resources.ts';
import { registerUiDags } from './dags.ts';
import { registerUiGrid } from './grid.ts';
import { registerUiGraph } from './graph.ts';
import { registerUiTaskInstance } from './ti.ts';
import { registerUiActions } from './actions.ts';
import { UiEvents } from './events.ts';

/** The browser's files (plain HTML, CSS and ES modules: no build step), served at `/`. */
export const UI_STATIC = path.join(import.meta.dirname, 'static');

export function uiRouter(r: WebResources, events = new UiEvents(r)): Router {
  const router = Router();
  router.get('/me', (_req, res) => { res.json(currentUser(res)); });
  registerUiDags(router, r);
  registerUiGrid(router, r);
  registerUiGraph(router, r);
  registerUiTaskInstance(router, r);
  registerUiActions(router, r);
  router.get('/events', (req, res) => { events.subscribe(req, res); });
  return router;
}
