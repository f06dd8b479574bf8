/**
 * A pipeline definition is a declarative DAG document. It is checked with the same
 * builder and serializer the dag-processor uses, so what is accepted here also loads
 * there, and made live by writing it into the DAGs folder (`pipelines/<name>.json`):
 * the dag-processor then loads it like every other DAG file.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildDeclarativeDag } from '../../core/dag/declarative.ts';
import { serializeDag } from '../../core/dag/serialize.ts';
import { OPERATOR_REGISTRY } from '../../operators/registry.ts';
import { ValidationError } from '../errors.ts';

/**
 * Stricter than a dag_id: the name is also a file name, and the dag-processor skips
 * files starting with "." or "_"; 250 is Airflow's dag_id length limit.
 */
const PIPELINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,249}$/;

export const PIPELINES_SUBFOLDER = 'pipelines';

const invalid = (loc: Array<string | number>, msg: string, input: unknown) =>
  new ValidationError([{ type: 'value_error', loc: ['body', ...loc], msg, input }]);

/** The pipeline's name, once the document builds into a DAG; a 422 naming the problem otherwise. */
export function validateDefinition(doc: unknown): { name: string; definition: Record<string, unknown> } {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw invalid([], 'a pipeline definition must be a JSON object with "name" (or "dag_id") and "tasks"', doc);
  }
  const definition = doc as Record<string, unknown>;
  const name = definition.name ?? definition.dag_id;
  const key = definition.name !== undefined ? 'name' : 'dag_id';
  if (typeof name === 'string' && !PIPELINE_NAME.test(name)) {
    throw invalid([key], 'a pipeline name is 1 to 250 letters, digits, "_", "." or "-", starting with a letter or digit', name);
  }
  try {
    serializeDag(buildDeclarativeDag(definition, OPERATOR_REGISTRY), 'pipeline.json');
  } catch (err) {
    throw invalid([], `invalid pipeline definition: ${(err as Error).message}`, undefined);
  }
  return { name: name as string, definition };
}

/** Where the pipeline's DAG file lives. */
export function pipelineFile(dagsFolder: string, name: string): string {
  return path.join(dagsFolder, PIPELINES_SUBFOLDER, `${name}.json`);
}

/** Indented, so that the DAG's source (as the UI and dagSources show it) is readable. */
export function pipelineFileText(definition: Record<string, unknown>): string {
  return `${JSON.stringify(definition, null, 2)}\n`;
}

/**
 * Write atomically (temp file + rename) so the dag-processor never parses half a file.
 * The temp name starts with "." so that the processor ignores it.
 */
export function writePipelineFile(dagsFolder: string, name: string, definition: Record<string, unknown>): string {
  const file = pipelineFile(dagsFolder, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${name}.json.${randomBytes(4).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(tmp, pipelineFileText(definition));
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return file;
}
