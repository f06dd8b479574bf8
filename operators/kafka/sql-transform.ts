/**
 * The seed's `sql_transform` step for a micro-batch. The user's SELECT reads the batch
 * as `{{ input }}`, with the columns value (jsonb), key, headers (jsonb), timestamp,
 * event_timestamp (the same as timestamp, the seed's name), topic, partition, offset.
 * `JSON_VALUE(expr, '$.a.b[0]')` (SQL:2016, as the seed writes it) becomes PostgreSQL's
 * `(expr #>> '{a,b,0}')`: text, or NULL when the path is missing.
 *
 * The SELECT runs once per record (a LATERAL subquery over that record alone), so every
 * output row keeps its record's topic/partition/offset: that is what the sink's unique
 * key and the exactly-once guarantee rest on. A transform may drop a record (WHERE) or
 * map it to one row; aggregates over the whole batch are not micro-batch semantics.
 */

const JSON_VALUE = /JSON_VALUE\s*\(\s*([A-Za-z_][A-Za-z0-9_."]*)\s*,\s*'([^']*)'\s*\)/gi;
/** `{{ input }}`, and the alias the user gave it, if any ("FROM {{ input }} AS e"). */
const INPUT = /\{\{\s*input\s*\}\}(\s+as\s+[A-Za-z_][A-Za-z0-9_]*)?/gi;

/** '$.a.b[0]' → ['a', 'b', '0']; only plain keys and indexes, so nothing needs quoting. */
export function jsonPathKeys(path: string): string[] {
  if (!path.startsWith('$')) throw new Error(`JSON_VALUE path ${JSON.stringify(path)} must start with "$"`);
  const keys: string[] = [];
  const re = /\.([A-Za-z0-9_-]+)|\[(\d+)\]/y;
  let at = 1;
  while (at < path.length) {
    re.lastIndex = at;
    const m = re.exec(path);
    if (!m) throw new Error(`JSON_VALUE path ${JSON.stringify(path)}: use $.key, $.a.b or $.list[0] (letters, digits, "_", "-")`);
    keys.push(m[1] ?? m[2]!);
    at = re.lastIndex;
  }
  return keys;
}

export function rewriteJsonValue(sql: string): string {
  return sql.replace(JSON_VALUE, (_all, expr: string, path: string) => `(${expr} #>> '{${jsonPathKeys(path).join(',')}}')`);
}

/**
 * The SELECT producing the sink rows from the batch table `batch`: the record's coordinates
 * then the transform's columns (or the record's own columns without a transform).
 */
export function sinkSelect(batch: string, transformSql: string | undefined): string {
  if (!transformSql) return `select value, key, headers, "timestamp", topic, partition, "offset" from ${batch}`;
  const body = rewriteJsonValue(transformSql.trim().replace(/;\s*$/, ''));
  if (body.search(INPUT) < 0) throw new Error('transform.sql must read the batch as {{ input }}');
  // Each record alone, as a derived table named `input` inside the lateral subquery.
  const one = '(select b.value, b.key, b.headers, b."timestamp", b."timestamp" as event_timestamp, b.topic, b.partition, b."offset")';
  const lateral = body.replace(INPUT, (_all, alias: string | undefined) => `${one}${alias ?? ' as input'}`);
  // The transform's own columns must not be named topic, partition or offset: these are added.
  return `select b.topic, b.partition, b."offset", t.* from ${batch} b cross join lateral (${lateral}) t`;
}
