/** All DAG resources of /api/v2 (dags, tasks, sources, versions, import errors, stats, tags), registered together. */
import type { Router } from 'express';
import type { WebResources } from '../resources.ts';
import { registerDagDetails } from './dag-details.ts';
import { registerDagPatch } from './dag-patch.ts';
import { registerDagSources } from './dag-sources.ts';
import { registerDagStats } from './dag-stats.ts';
import { registerDagTags } from './dag-tags.ts';
import { registerDagTasks } from './dag-tasks.ts';
import { registerDagVersions } from './dag-versions.ts';
import { registerDags } from './dags.ts';
import { registerImportErrors } from './import-errors.ts';

export function registerDagResources(router: Router, r: WebResources): void {
  registerDags(router, r);
  registerDagPatch(router, r);
  registerDagDetails(router, r);
  registerDagTasks(router, r);
  registerDagSources(router, r);
  registerDagVersions(router, r);
  registerImportErrors(router, r);
  registerDagStats(router, r);
  registerDagTags(router, r);
}
