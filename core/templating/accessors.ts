/**
 * The objects behind `ti`, `var`, `conn`, `dag_run`, `task` and `dag`. Each exposes the
 * attribute names Airflow's context objects have (nothing else), prints like Airflow's
 * repr, and reads data only through the lookups the worker handed in.
 */
import type { TemplateDateTime } from './datetime.ts';
import { TemplateError } from './errors.ts';
import { NOT_SET, bindArgs } from './pyargs.ts';
import { MISSING, PY_GETATTR, PY_STR, lookupTable, type PyObject } from './protocol.ts';
import type { ConnectionView, TemplateInput } from './types.ts';

const RETURN_VALUE = 'return_value';

function ownOrMissing(record: Record<string, unknown>, name: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(record, name)) return MISSING;
  const value = record[name];
  return value === undefined ? MISSING : value;
}

/** `task` / `dag`: the attribute records, printed like Airflow's reprs. */
export class AttrView implements PyObject {
  private readonly label: string;
  private readonly record: Record<string, unknown>;
  private readonly fallback: Record<string, unknown>;

  constructor(label: string, record: Record<string, unknown>, fallback: Record<string, unknown> = {}) {
    this.label = label;
    this.record = record;
    this.fallback = fallback;
  }

  [PY_GETATTR](name: string): unknown {
    const own = ownOrMissing(this.record, name);
    return own === MISSING ? ownOrMissing(this.fallback, name) : own;
  }

  [PY_STR](): string {
    return this.label;
  }
}

function isIntList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'number');
}

/** `ti` / `task_instance`. */
export class TaskInstanceView implements PyObject {
  private readonly input: TemplateInput;
  private readonly task: AttrView;

  constructor(input: TemplateInput, task: AttrView) {
    this.input = input;
    this.task = task;
  }

  /**
   * Airflow 3's RuntimeTaskInstance.xcom_pull(task_ids=None, dag_id=None, key='return_value',
   * include_prior_dates=False, *, map_indexes=NOTSET, default=None, run_id=None):
   * one task id (or none: this task) gives its value, a list of ids gives a list in that
   * order; an explicit map_indexes (int or list) pulls those indexes. Missing values are
   * `default` (None), never an error. Only this run's XComs are available to templates.
   */
  xcomPull(args: readonly unknown[]): unknown {
    const a = bindArgs('xcom_pull', args, [
      ['task_ids', null], ['dag_id', null], ['key', RETURN_VALUE], ['include_prior_dates', false],
      ['map_indexes', NOT_SET], ['default', null], ['run_id', null],
    ]);
    const { input } = this;
    if (a.dag_id !== null && a.dag_id !== input.dag_id) throw new TemplateError('xcom_pull(): templates can only pull XComs of their own DAG');
    if (a.run_id !== null && a.run_id !== input.run_id) throw new TemplateError('xcom_pull(): templates can only pull XComs of their own run');
    if (a.include_prior_dates === true) throw new TemplateError('xcom_pull(): include_prior_dates is not supported');
    const key = a.key === null ? RETURN_VALUE : String(a.key);

    const singleTask = a.task_ids === null || typeof a.task_ids === 'string';
    let taskIds: string[];
    if (a.task_ids === null) taskIds = [input.task_id];
    else if (typeof a.task_ids === 'string') taskIds = [a.task_ids];
    else if (Array.isArray(a.task_ids)) taskIds = a.task_ids.map(String);
    else throw new TemplateError('xcom_pull(): task_ids must be a task id or a list of task ids');

    let mapIndexes: Array<number | null>;
    let singleIndex = true;
    if (a.map_indexes === NOT_SET || a.map_indexes === null) mapIndexes = [null];
    else if (typeof a.map_indexes === 'number') mapIndexes = [a.map_indexes];
    else if (isIntList(a.map_indexes)) {
      mapIndexes = a.map_indexes;
      singleIndex = false;
    } else throw new TemplateError('xcom_pull(): map_indexes must be an int, a list of ints or None');

    const values: unknown[] = [];
    for (const taskId of taskIds) {
      for (const mapIndex of mapIndexes) {
        const value = input.xcom(taskId, key, mapIndex);
        values.push(value === undefined || value === null ? a.default : value);
      }
    }
    return singleTask && singleIndex ? values[0] : values;
  }

  [PY_GETATTR](name: string): unknown {
    const { input } = this;
    return lookupTable(
      {
        task_id: input.task_id,
        dag_id: input.dag_id,
        run_id: input.run_id,
        try_number: input.try_number,
        map_index: input.map_index,
        task: this.task,
        xcom_pull: (...args: unknown[]) => this.xcomPull(args),
      },
      name,
    );
  }

  [PY_STR](): string {
    const mapped = this.input.map_index >= 0 ? ` map_index=${this.input.map_index}` : '';
    return `<TaskInstance: ${this.input.dag_id}.${this.input.task_id} ${this.input.run_id}${mapped}>`;
  }
}

/** `var.value` (strings) and `var.json` (parsed JSON). */
export class VariableAccessor implements PyObject {
  private readonly lookup: TemplateInput['variable'];
  private readonly json: boolean;

  constructor(lookup: TemplateInput['variable'], json: boolean) {
    this.lookup = lookup;
    this.json = json;
  }

  private read(key: string): unknown {
    const raw = this.lookup(key);
    if (raw === undefined) return MISSING;
    if (!this.json) return raw;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new TemplateError(`Variable '${key}' is not valid JSON (used as var.json.${key})`);
    }
  }

  [PY_GETATTR](name: string): unknown {
    if (name === 'get') {
      // get(key, default=None): a missing variable gives the default instead of an error.
      // Airflow 3 names the fallback `default`, Airflow 2 `default_var`: accept both.
      return (...args: unknown[]) => {
        const a = bindArgs('get', args, ['key', ['default', NOT_SET], ['default_var', NOT_SET]]);
        const value = this.read(String(a.key));
        if (value !== MISSING) return value;
        if (a.default !== NOT_SET) return a.default;
        return a.default_var === NOT_SET ? null : a.default_var;
      };
    }
    const value = this.read(name);
    // Airflow raises for a missing variable; the message names it so the fix is obvious.
    if (value === MISSING) throw new TemplateError(`Variable '${name}' does not exist (used as var.${this.json ? 'json' : 'value'}.${name})`);
    return value;
  }

  [PY_STR](): string {
    return `<VariableAccessor ${this.json ? 'json' : 'value'}>`;
  }
}

/** One connection, with Airflow's Connection attribute names. */
export class ConnectionTemplateView implements PyObject {
  private readonly conn: ConnectionView;

  constructor(conn: ConnectionView) {
    this.conn = conn;
  }

  [PY_GETATTR](name: string): unknown {
    const c = this.conn;
    const hasExtra = Object.keys(c.extra).length > 0;
    return lookupTable(
      {
        conn_id: c.conn_id,
        conn_type: c.conn_type,
        host: c.host,
        schema: c.schema,
        login: c.login,
        password: c.password,
        port: c.port,
        // Airflow's `extra` is the stored JSON text; the parsed dict is `extra_dejson`.
        extra: hasExtra ? JSON.stringify(c.extra) : null,
        extra_dejson: c.extra,
      },
      name,
    );
  }

  [PY_STR](): string {
    return this.conn.conn_id;
  }
}

/** `conn.my_db.host`, `conn.get('my_db')`. */
export class ConnectionAccessor implements PyObject {
  private readonly lookup: TemplateInput['connection'];

  constructor(lookup: TemplateInput['connection']) {
    this.lookup = lookup;
  }

  [PY_GETATTR](name: string): unknown {
    if (name === 'get') {
      return (...args: unknown[]) => {
        const a = bindArgs('get', args, ['conn_id', ['default_conn', null]]);
        const conn = this.lookup(String(a.conn_id));
        return conn === undefined ? a.default_conn : new ConnectionTemplateView(conn);
      };
    }
    const conn = this.lookup(name);
    if (conn === undefined) throw new TemplateError(`The conn_id \`${name}\` isn't defined (used as conn.${name})`);
    return new ConnectionTemplateView(conn);
  }

  [PY_STR](): string {
    return '<ConnectionAccessor>';
  }
}

export interface DagRunFields {
  dag_id: string;
  run_id: string;
  run_type: string;
  conf: Record<string, unknown>;
  logical_date: TemplateDateTime | null;
  data_interval_start: TemplateDateTime | null;
  data_interval_end: TemplateDateTime | null;
}

/** `dag_run`. */
export class DagRunView implements PyObject {
  private readonly fields: DagRunFields;

  constructor(fields: DagRunFields) {
    this.fields = fields;
  }

  [PY_GETATTR](name: string): unknown {
    return ownOrMissing(this.fields as unknown as Record<string, unknown>, name);
  }

  [PY_STR](): string {
    const f = this.fields;
    const when = f.logical_date === null ? 'None' : f.logical_date.isoformat(' ');
    return `<DagRun ${f.dag_id} @ ${when}: ${f.run_id}, run_type: ${f.run_type}>`;
  }
}
