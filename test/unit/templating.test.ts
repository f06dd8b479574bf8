/**
 * Templating renders as Airflow 3 would for a known run: the @daily run for
 * 2026-11-20 (logical date 2026-11-20T00:00Z, data interval to 2026-11-21T00:00Z).
 * Pure: XCom, variables and connections are in-memory lookups.
 */
import { expect } from 'chai';
import {
  TemplateError,
  buildTemplateContext,
  renderFields,
  renderTemplate,
  renderValue,
  templateNeeds,
  type ConnectionView,
  type TemplateContext,
  type TemplateInput,
} from '../../core/templating/index.ts';

const XCOMS: Record<string, unknown> = {
  'extract|return_value|null': 's3://bucket/2026-11-20.csv',
  'extract|row_count|null': 42,
  'load|return_value|null': { rows: 3, tables: ['a', 'b'] },
  'fan|return_value|0': 'f0',
  'fan|return_value|1': 'f1',
  'report|return_value|null': 'own value',
};

const VARIABLES: Record<string, string> = {
  bucket: 'my-bucket',
  settings: '{"retries": 3, "targets": ["x", "y"]}',
  broken_json: '{not json',
};

const CONNECTIONS: Record<string, ConnectionView> = {
  warehouse: {
    conn_id: 'warehouse', conn_type: 'postgres', host: 'db.internal', schema: 'analytics',
    login: 'etl', password: 's3cret', port: 5432, extra: { sslmode: 'require' },
  },
};

function makeInput(overrides: Partial<TemplateInput> = {}): TemplateInput {
  return {
    dag_id: 'daily_sales',
    task_id: 'report',
    run_id: 'scheduled__2026-11-20T00:00:00+00:00',
    map_index: -1,
    try_number: 2,
    logical_date: new Date('2026-11-20T00:00:00Z'),
    data_interval_start: new Date('2026-11-20T00:00:00Z'),
    data_interval_end: new Date('2026-11-21T00:00:00Z'),
    run_type: 'scheduled',
    conf: { region: 'eu', limit: 10 },
    params: { table: 'sales', threshold: 0.5, enabled: true, nothing: null, tags: ['a', 'b'], nested: { k: 'v' } },
    timezone: 'Europe/Paris',
    prev_data_interval_start_success: new Date('2026-11-19T00:00:00Z'),
    prev_data_interval_end_success: new Date('2026-11-20T00:00:00Z'),
    xcom: (taskId, key, mapIndex) => XCOMS[`${taskId}|${key}|${mapIndex}`],
    variable: (key) => VARIABLES[key],
    connection: (id) => CONNECTIONS[id],
    task: { task_id: 'report', operator: 'BashOperator', retries: 3, pool: 'default_pool' },
    dag: { dag_id: 'daily_sales', schedule: '@daily' },
    ...overrides,
  };
}

const ctx: TemplateContext = buildTemplateContext(makeInput());
const render = (template: string, context: TemplateContext = ctx): string => renderTemplate(template, context);

function renderError(template: string, context: TemplateContext = ctx): TemplateError {
  try {
    renderTemplate(template, context);
  } catch (err) {
    expect(err).to.be.instanceOf(TemplateError);
    return err as TemplateError;
  }
  throw new Error(`expected ${JSON.stringify(template)} to fail`);
}

describe('templating', () => {
  describe('context variables', () => {
    it('renders the date strings Airflow derives from the logical date (in UTC)', () => {
      expect(render('{{ ds }}')).to.equal('2026-11-20');
      expect(render('{{ ds_nodash }}')).to.equal('20261120');
      expect(render('{{ ts }}')).to.equal('2026-11-20T00:00:00+00:00');
      expect(render('{{ ts_nodash }}')).to.equal('20261120T000000');
      expect(render('{{ ts_nodash_with_tz }}')).to.equal('20261120T000000+0000');
    });

    it('ds/ts stay in UTC even when the DAG time zone is not UTC', () => {
      const late = buildTemplateContext(makeInput({ logical_date: new Date('2026-11-20T23:30:00Z'), timezone: 'Asia/Tokyo' }));
      expect(render('{{ ds }} {{ ts }}', late)).to.equal('2026-11-20 2026-11-20T23:30:00+00:00');
      expect(render('{{ logical_date.in_timezone(dag.timezone) }}', late)).to.equal('2026-11-21 08:30:00+09:00');
    });

    it('prints date objects like pendulum 3 (isoformat with a space)', () => {
      expect(render('{{ logical_date }}')).to.equal('2026-11-20 00:00:00+00:00');
      expect(render('{{ data_interval_start }}')).to.equal('2026-11-20 00:00:00+00:00');
      expect(render('{{ data_interval_end }}')).to.equal('2026-11-21 00:00:00+00:00');
      expect(render('{{ prev_data_interval_start_success }}|{{ prev_data_interval_end_success }}'))
        .to.equal('2026-11-19 00:00:00+00:00|2026-11-20 00:00:00+00:00');
    });

    it('date objects offer strftime, isoformat, fields and keyword arithmetic', () => {
      expect(render("{{ logical_date.strftime('%Y-%m-%d') }}")).to.equal('2026-11-20');
      expect(render("{{ data_interval_end.strftime('%d/%m/%y %H:%M %a %b %j') }}")).to.equal('21/11/26 00:00 Sat Nov 325');
      expect(render('{{ logical_date.isoformat() }}')).to.equal('2026-11-20T00:00:00+00:00');
      expect(render('{{ logical_date.year }}-{{ logical_date.month }}-{{ logical_date.day }} {{ logical_date.hour }}')).to.equal('2026-11-20 0');
      expect(render('{{ logical_date.add(days=1).isoformat() }}')).to.equal('2026-11-21T00:00:00+00:00');
      expect(render('{{ logical_date.subtract(months=1, hours=2) }}')).to.equal('2026-10-19 22:00:00+00:00');
      expect(render("{{ logical_date.format('YYYY-MM-DD[T]HH:mm') }}")).to.equal('2026-11-20T00:00');
      expect(render('{{ logical_date.date() }} {{ logical_date.weekday() }}')).to.equal('2026-11-20 4');
    });

    it('supports Python date arithmetic with macros.timedelta and comparisons', () => {
      expect(render('{{ data_interval_end - data_interval_start }}')).to.equal('1 day, 0:00:00');
      expect(render('{{ (logical_date - macros.timedelta(days=1)) | ds }}')).to.equal('2026-11-19');
      expect(render('{{ logical_date + macros.timedelta(hours=36) }}')).to.equal('2026-11-21 12:00:00+00:00');
      expect(render('{{ data_interval_start < data_interval_end }} {{ logical_date > data_interval_end }}')).to.equal('True False');
    });

    it('exposes run_id, dag_run, params, task, dag, ti and task_instance', () => {
      expect(render('{{ run_id }}')).to.equal('scheduled__2026-11-20T00:00:00+00:00');
      expect(render('{{ dag_run.conf.region }} {{ dag_run.conf["limit"] }} {{ dag_run.run_id }} {{ dag_run.run_type }}'))
        .to.equal('eu 10 scheduled__2026-11-20T00:00:00+00:00 scheduled');
      expect(render('{{ dag_run.logical_date }} / {{ dag_run.data_interval_start | ds }} / {{ dag_run.data_interval_end | ts }}'))
        .to.equal('2026-11-20 00:00:00+00:00 / 2026-11-20 / 2026-11-21T00:00:00+00:00');
      expect(render('{{ params.table }} {{ params.threshold }} {{ params["tags"][1] }} {{ params.nested.k }}')).to.equal('sales 0.5 b v');
      expect(render('{{ task.task_id }} {{ task.operator }} {{ task.retries }} {{ dag.dag_id }} {{ dag.schedule }}'))
        .to.equal('report BashOperator 3 daily_sales @daily');
      expect(render('{{ ti.task_id }} {{ ti.dag_id }} {{ ti.try_number }} {{ ti.map_index }} {{ task_instance.run_id }}'))
        .to.equal('report daily_sales 2 -1 scheduled__2026-11-20T00:00:00+00:00');
      expect(render('{{ task_instance_key_str }}')).to.equal('daily_sales__report__20261120');
      expect(render('{{ task }} {{ dag }}')).to.equal('<Task(BashOperator): report> <DAG: daily_sales>');
    });

    it('prints values as Python would: None, True, lists and dicts', () => {
      expect(render('{{ params.nothing }} {{ params.enabled }} {{ none }} {{ False }}')).to.equal('None True None False');
      expect(render('{{ params.tags }}')).to.equal("['a', 'b']");
      expect(render('{{ params.nested }}')).to.equal("{'k': 'v'}");
      expect(render('{{ "x" ~ params.nothing ~ params.enabled }}')).to.equal('xNoneTrue');
      expect(render('{{ ["it\'s", 1.5] }}')).to.equal(`["it's", 1.5]`);
    });

    it('supports the Python methods templates use on dicts, strings and lists', () => {
      expect(render('{% for k, v in params.nested.items() %}{{ k }}={{ v }}{% endfor %}')).to.equal('k=v');
      expect(render('{% for k in dag_run.conf %}{{ k }};{% endfor %}')).to.equal('region;limit;');
      expect(render("{{ params.get('missing', 'fallback') }} {{ params.get('table') }}")).to.equal('fallback sales');
      expect(render("{{ ds.replace('-', '') }} {{ 'a b'.split() }} {{ ' x '.strip() }} {{ 'abc'.upper() }}")).to.equal("20261120 ['a', 'b'] x ABC");
      expect(render('{{ params.tags[-1] }} {{ params.tags | length }} {{ params.tags | join("+") }}')).to.equal('b 2 a+b');
    });

    it('runs without a logical date leave ds, ts and logical_date undefined (Airflow 3)', () => {
      const manual = buildTemplateContext(makeInput({
        logical_date: null, data_interval_start: null, data_interval_end: null, run_type: 'manual', run_id: 'manual__x',
      }));
      for (const key of ['logical_date', 'ds', 'ds_nodash', 'ts', 'ts_nodash', 'ts_nodash_with_tz', 'data_interval_start']) {
        expect(manual).not.to.have.property(key);
      }
      const err = renderError('echo {{ ds }}', manual);
      expect(err.undefinedName).to.equal('ds');
      expect(err.message).to.contain("'ds' is undefined").and.to.contain('no logical date');
      expect(render('{{ run_id }} {{ dag_run.logical_date }} {{ ds | default("none") }}', manual)).to.equal('manual__x None none');
    });
  });

  describe('ti.xcom_pull', () => {
    it('returns the value of a single task id (key defaults to return_value)', () => {
      expect(render("{{ ti.xcom_pull(task_ids='extract') }}")).to.equal('s3://bucket/2026-11-20.csv');
      expect(render("{{ ti.xcom_pull('extract') }}")).to.equal('s3://bucket/2026-11-20.csv');
      expect(render("{{ task_instance.xcom_pull(task_ids='load').rows }}")).to.equal('3');
    });

    it('returns a list for a list of task ids, in order, with None for missing ones', () => {
      expect(render("{{ ti.xcom_pull(task_ids=['extract', 'missing', 'load']) }}"))
        .to.equal("['s3://bucket/2026-11-20.csv', None, {'rows': 3, 'tables': ['a', 'b']}]");
    });

    it('reads another key', () => {
      expect(render("{{ ti.xcom_pull(task_ids='extract', key='row_count') }}")).to.equal('42');
      expect(render("{{ ti.xcom_pull('extract', key='nope') }}")).to.equal('None');
    });

    it('returns None (or the default) when absent instead of throwing', () => {
      expect(render("{{ ti.xcom_pull(task_ids='nobody') }}")).to.equal('None');
      expect(render("{{ ti.xcom_pull(task_ids='nobody', default='n/a') }}")).to.equal('n/a');
      expect(render("{% if ti.xcom_pull(task_ids='nobody') is none %}absent{% endif %}")).to.equal('absent');
    });

    it('honours map_indexes and defaults task_ids to the calling task', () => {
      expect(render("{{ ti.xcom_pull(task_ids='fan', map_indexes=1) }}")).to.equal('f1');
      expect(render("{{ ti.xcom_pull(task_ids='fan', map_indexes=[0, 1, 2]) }}")).to.equal("['f0', 'f1', None]");
      expect(render('{{ ti.xcom_pull() }}')).to.equal('own value');
    });

    it('rejects unknown keyword arguments with a Python-like message and position', () => {
      const err = renderError("{{ ti.xcom_pull(task_ids='extract', kye='x') }}");
      expect(err.message).to.contain("unexpected keyword argument 'kye'");
      expect(err.line).to.equal(1);
    });
  });

  describe('var and conn', () => {
    it('reads variables as text, as JSON, and with get() defaults', () => {
      expect(render('{{ var.value.bucket }}')).to.equal('my-bucket');
      expect(render('{{ var.json.settings.retries }} {{ var.json.settings.targets[1] }}')).to.equal('3 y');
      expect(render("{{ var.value.get('bucket', 'other') }} {{ var.value.get('nope', 'fallback') }} {{ var.value.get('nope') }}"))
        .to.equal('my-bucket fallback None');
      expect(render("{{ var.json.get('nope', {'a': 1}).a }}")).to.equal('1');
    });

    it('fails clearly on a missing variable or invalid JSON', () => {
      expect(renderError('{{ var.value.nope }}').message).to.contain("Variable 'nope' does not exist");
      expect(renderError('{{ var.json.broken_json }}').message).to.contain("'broken_json' is not valid JSON");
    });

    it('exposes connection fields by id and through get()', () => {
      expect(render('{{ conn.warehouse.host }}:{{ conn.warehouse.port }}/{{ conn.warehouse.schema }}')).to.equal('db.internal:5432/analytics');
      expect(render('{{ conn.warehouse.login }} {{ conn.warehouse.password }} {{ conn.warehouse.conn_type }}')).to.equal('etl s3cret postgres');
      expect(render('{{ conn.warehouse.extra_dejson.sslmode }} {{ conn.warehouse.extra }}')).to.equal('require {"sslmode":"require"}');
      expect(render("{{ conn.get('warehouse').host }} {{ conn.get('nope') }}")).to.equal('db.internal None');
      expect(renderError('{{ conn.nope.host }}').message).to.contain('The conn_id `nope` isn\'t defined');
    });
  });

  describe('macros and filters', () => {
    it('ds_add and ds_format follow Airflow', () => {
      expect(render('{{ macros.ds_add(ds, 5) }} {{ macros.ds_add(ds, -20) }} {{ macros.ds_add(ds, 0) }}')).to.equal('2026-11-25 2026-10-31 2026-11-20');
      expect(render("{{ macros.ds_format(ds, '%Y-%m-%d', '%d/%m/%Y') }}")).to.equal('20/11/2026');
      expect(render("{{ macros.ds_format('1/5/2015', '%m/%d/%Y', '%Y-%m-%d') }}")).to.equal('2015-01-05');
      expect(render("{{ ds | ds_add(1) }} {{ ds | ds_format('%Y-%m-%d', '%b %-d, %Y') }}")).to.equal('2026-11-21 Nov 20, 2026');
      expect(renderError("{{ macros.ds_format('2026/11/20', '%Y-%m-%d', '%d') }}").message).to.contain('does not match format');
    });

    it('macros.datetime, timedelta, json, uuid and random behave like the Python modules', () => {
      expect(render('{{ macros.datetime(2026, 1, 2, 3) }}')).to.equal('2026-01-02 03:00:00');
      expect(render("{{ macros.datetime.strptime('20261120', '%Y%m%d').strftime('%A') }}")).to.equal('Friday');
      expect(render('{{ macros.timedelta(days=1, hours=2).days }} {{ macros.timedelta(days=1, hours=2).seconds }} {{ macros.timedelta(minutes=90) }}')).to.equal('1 7200 1:30:00');
      expect(render("{{ macros.json.dumps({'b': 1, 'a': [true, none]}) }}")).to.equal('{"b": 1, "a": [true, null]}');
      expect(render("{{ macros.json.loads('[1, 2]')[1] }}")).to.equal('2');
      expect(render('{{ macros.uuid.uuid4() }}')).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const r = Number(render('{{ macros.random() }}'));
      expect(r).to.be.at.least(0).and.below(1);
    });

    it('tojson is Jinja\'s key-sorted, HTML/shell-safe JSON', () => {
      expect(render('{{ params.nested | tojson }}')).to.equal('{"k": "v"}');
      expect(render(`{{ {'b': "it's <b>", 'a': [1, none, true]} | tojson }}`)).to.equal('{"a": [1, null, true], "b": "it\\u0027s \\u003cb\\u003e"}');
      expect(render('{{ params.tags | tojson(indent=2) }}')).to.equal('[\n  "a",\n  "b"\n]');
    });

    it('the Airflow date filters format any date value', () => {
      expect(render('{{ data_interval_end | ds }} {{ data_interval_end | ds_nodash }} {{ data_interval_end | ts_nodash }}'))
        .to.equal('2026-11-21 20261121 20261121T000000');
      expect(render('{{ data_interval_end | ts_nodash_with_tz }}')).to.equal('20261121T000000+0000');
    });
  });

  describe('${execution_date}', () => {
    it('is replaced by the logical date while other ${...} stay for the shell', () => {
      expect(render('process.sh --date ${execution_date} --home ${HOME} ${execution_date_utc} $execution_date'))
        .to.equal('process.sh --date 2026-11-20 --home ${HOME} ${execution_date_utc} $execution_date');
      expect(render('cp ${execution_date}.csv {{ params.table }}/${execution_date}/')).to.equal('cp 2026-11-20.csv sales/2026-11-20/');
    });

    it('fails clearly when the run has no logical date', () => {
      const manual = buildTemplateContext(makeInput({ logical_date: null, data_interval_start: null, data_interval_end: null }));
      expect(renderError('echo ${execution_date}', manual).message).to.contain('${execution_date}').and.to.contain('has none');
    });
  });

  describe('errors', () => {
    it('an undefined variable is an error naming it, with its position', () => {
      const err = renderError('echo ok\necho {{ undefined_thing }}');
      expect(err.message).to.contain("'undefined_thing' is undefined");
      expect(err.undefinedName).to.equal('undefined_thing');
      expect([err.line, err.column]).to.deep.equal([2, 9]);
    });

    it('an undefined name in a condition or loop is an error, not false', () => {
      expect(renderError('{% if undefined_flag %}yes{% endif %}').message).to.contain("'undefined_flag' is undefined");
      expect(renderError('{% for x in undefined_list %}{{ x }}{% endfor %}').message).to.contain("'undefined_list' is undefined");
    });

    it('a missing attribute names the whole expression, also in conditions', () => {
      expect(renderError('{{ params.tabel }}').message).to.contain("'params.tabel' is undefined");
      expect(renderError('{% if dag_run.conf.missing %}x{% endif %}').message).to.contain("'dag_run.conf.missing' is undefined");
      expect(renderError('{{ params.nothing.x }}').message).to.contain("'params.nothing' is None");
      expect(renderError('{{ ti.xcom_pul("a") }}').message).to.contain("'ti.xcom_pul' is undefined");
    });

    it('is defined, is undefined and default may look at undefined values', () => {
      expect(render('{{ "y" if foo is defined else "n" }} {{ params.x is undefined }} {{ foo | default("dflt") }} {{ params.x | d(1) }}'))
        .to.equal('n True dflt 1');
    });

    it('names removed Airflow 2 variables with what to use instead', () => {
      expect(renderError('{{ execution_date }}').message).to.contain('use logical_date');
    });

    it('a syntax error is a TemplateError saying so, with the line when nunjucks gives one', () => {
      const err = renderError('line one\n{% if %}x{% endif %}');
      expect(err.message).to.match(/^template syntax error: /);
      expect(err.line).to.equal(2);
      expect(renderError('{{ ds ').message).to.match(/^template syntax error: /);
      expect(renderError('{% for x in params.tags %}').message).to.match(/^template syntax error: /);
    });

    it('an unknown filter or a non-callable is reported with its name', () => {
      expect(renderError('{{ ds | nosuchfilter }}').message).to.contain('nosuchfilter');
      expect(renderError('{{ params.table() }}').message).to.contain("'params.table' is not callable");
    });
  });

  describe('rendering values', () => {
    it('leaves plain strings alone except for one trailing newline (Jinja drops it)', () => {
      expect(render('echo "$HOME" # no templates')).to.equal('echo "$HOME" # no templates');
      expect(render('select 1;\n')).to.equal('select 1;');
      expect(render('{{ ds }}\n\n')).to.equal('2026-11-20\n');
    });

    it('renderValue renders every string in nested objects and arrays, keeping other values and keys', () => {
      const input = {
        cmd: 'run {{ ds }}',
        env: { TABLE: '{{ params.table }}', '{{ key }}': 'literal', COUNT: 3, ON: true, NONE: null },
        args: ['--date', '{{ ds_nodash }}', ['{{ dag_run.conf.region }}', 7]],
      };
      const snapshot = structuredClone(input);
      expect(renderValue(input, ctx)).to.deep.equal({
        cmd: 'run 2026-11-20',
        env: { TABLE: 'sales', '{{ key }}': 'literal', COUNT: 3, ON: true, NONE: null },
        args: ['--date', '20261120', ['eu', 7]],
      });
      expect(input).to.deep.equal(snapshot);
      expect(renderValue(12, ctx)).to.equal(12);
      expect(renderValue(null, ctx)).to.equal(null);
    });

    it('renderValue errors say where in the value the template failed', () => {
      expect(() => renderValue({ env: { X: ['ok', '{{ nope }}'] } }, ctx)).to.throw(TemplateError, "env.X[1]: 'nope' is undefined");
    });

    it('renderFields renders only the listed fields and returns a new object', () => {
      const args = { bash_command: 'echo {{ ds }}', env: { D: '{{ ds }}' }, description: 'about {{ ds }}', retries: 2 };
      const out = renderFields(args, ['bash_command', 'env', 'not_there'], ctx);
      expect(out).to.deep.equal({ bash_command: 'echo 2026-11-20', env: { D: '2026-11-20' }, description: 'about {{ ds }}', retries: 2 });
      expect(out).not.to.equal(args);
      expect(args.bash_command).to.equal('echo {{ ds }}');
      expect(out).not.to.have.property('not_there');
    });

    it('renderFields errors name the field', () => {
      expect(() => renderFields({ sql: 'select {{ nope }}' }, ['sql'], ctx)).to.throw(TemplateError, "sql: 'nope' is undefined");
    });
  });

  describe('templateNeeds', () => {
    it('detects templates that may use XCom, variables or connections', () => {
      expect(templateNeeds({ cmd: "echo {{ ti.xcom_pull(task_ids='a') }}" })).to.deep.equal({ xcom: true, variables: false, connections: false });
      expect(templateNeeds(['{{ var.value.bucket }}', { deep: ['{{ conn.db.host }}'] }])).to.deep.equal({ xcom: false, variables: true, connections: true });
      expect(templateNeeds('{% set v = var.json.settings %}{{ v }}')).to.deep.equal({ xcom: false, variables: true, connections: false });
    });

    it('says no for plain strings, non-strings and templates that use none of them', () => {
      expect(templateNeeds({ cmd: 'echo var conn xcom', n: 3, b: null })).to.deep.equal({ xcom: false, variables: false, connections: false });
      expect(templateNeeds({ cmd: 'echo {{ ds }} {{ params.variant }} {{ connection_count }}' })).to.deep.equal({ xcom: false, variables: false, connections: false });
    });
  });
});
