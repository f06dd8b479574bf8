/** The quality-check language: tokenizer and parser (pure), and the import-time validation of QualityOperator. */
import { expect } from 'chai';
import { buildDeclarativeDag } from '../../core/dag/declarative.ts';
import { CheckSyntaxError, compareNumbers, parseCheck, tokenize } from '../../operators/quality/checks.ts';
import { QualityOperator } from '../../operators/quality/quality-operator.ts';
import { OPERATOR_REGISTRY } from '../../operators/registry.ts';
import { DAG } from '../../core/authoring/dag.ts';
import { errorOf } from '../support/error-of.ts';

const why = (text: string) => {
  try {
    parseCheck(text);
  } catch (err) {
    expect(err).to.be.instanceOf(CheckSyntaxError);
    return (err as Error).message;
  }
  return expect.fail(`expected ${JSON.stringify(text)} to be invalid`);
};

describe('quality checks: tokenizer', () => {
  it('splits names, operators, numbers, strings and quoted names', () => {
    expect(tokenize(`Revenue>=-1.5e2 != 'it''s' "Mixed ""Case"""`)).to.deep.equal([
      { t: 'ident', v: 'revenue', raw: 'Revenue' }, { t: 'op', v: '>=' }, { t: 'number', v: '-1.5e2' },
      { t: 'op', v: '!=' }, { t: 'string', v: "it's" }, { t: 'qident', v: 'Mixed "Case"' },
    ]);
  });

  it('reads <> as != and keeps = apart from <= and >=', () => {
    expect(tokenize('a <> b = c <= d').filter((t) => t.t === 'op').map((t) => t.v)).to.deep.equal(['!=', '=', '<=']);
  });

  it('rejects characters outside the language, and unterminated strings', () => {
    expect(() => tokenize('a > 0; drop table x')).to.throw(CheckSyntaxError, 'unexpected character ";" at position 6');
    expect(() => tokenize(`region = 'eu`)).to.throw(CheckSyntaxError, 'unterminated string');
    expect(() => tokenize('"x > 1')).to.throw(CheckSyntaxError, 'unterminated quoted name');
  });
});

describe('quality checks: parser', () => {
  it('parses the seed checks', () => {
    expect(parseCheck('row_count > 0')).to.deep.equal({ kind: 'row_count', text: 'row_count > 0', op: '>', value: 0 });
    expect(parseCheck('revenue >= 0')).to.deep.equal({
      kind: 'compare', text: 'revenue >= 0', column: 'revenue', op: '>=', right: { kind: 'number', value: '0' },
    });
  });

  it('parses column comparisons with strings and other columns, folding unquoted names to lower case', () => {
    expect(parseCheck(`Region != 'unknown'`)).to.deep.include({ column: 'region', op: '!=', right: { kind: 'string', value: 'unknown' } });
    expect(parseCheck('"Gross" <= net')).to.deep.include({ column: 'Gross', op: '<=', right: { kind: 'column', name: 'net' } });
    expect(parseCheck('"row_count" = 1')).to.deep.include({ kind: 'compare', column: 'row_count' });
  });

  it('parses is null / is not null, keywords in any case', () => {
    expect(parseCheck('region IS NOT NULL')).to.deep.include({ kind: 'null', column: 'region', negated: true });
    expect(parseCheck('deleted_at is null')).to.deep.include({ kind: 'null', column: 'deleted_at', negated: false });
    expect(parseCheck('ROW_COUNT = 3')).to.deep.include({ kind: 'row_count', value: 3 });
  });

  it('explains what is wrong with an invalid check', () => {
    expect(why('')).to.equal('the check is empty');
    expect(why('row_count > ten')).to.equal('row_count can only be compared with a number, found "ten"');
    expect(why(`row_count > 'x'`)).to.equal(`row_count can only be compared with a number, found string 'x'`);
    expect(why('row_count')).to.include('expected a comparison');
    expect(why('revenue')).to.equal('expected a comparison (> >= < <= = !=) or "is [not] null" after "revenue", found the end of the check');
    expect(why('revenue >=')).to.include('found the end of the check');
    expect(why('revenue >= 0 0')).to.equal('unexpected number 0 after the end of the check');
    expect(why('0 < revenue')).to.equal('expected row_count or a column name on the left side, found number 0');
    expect(why('revenue > row_count')).to.equal('row_count must be on the left side, compared with a number');
    expect(why('revenue is not 5')).to.equal('expected "null" after "is not", found number 5');
    expect(why('revenue => 0')).to.include('after "=", found ">"'); // "=>" is "=" then ">"
    expect(why('revenue >= 0 or 1 = 1')).to.include('unexpected "or"');
    expect(why(`"${'x'.repeat(64)}" > 0`)).to.include('longer than 63');
  });

  it('compares row counts with every operator', () => {
    expect([compareNumbers(2, '>', 1), compareNumbers(1, '>=', 1), compareNumbers(1, '<', 2), compareNumbers(2, '<=', 2),
      compareNumbers(3, '=', 3), compareNumbers(3, '!=', 4)]).to.deep.equal([true, true, true, true, true, true]);
    expect([compareNumbers(1, '>', 1), compareNumbers(0, '>=', 1), compareNumbers(2, '<', 2), compareNumbers(3, '<=', 2),
      compareNumbers(3, '=', 4), compareNumbers(3, '!=', 3)]).to.deep.equal([false, false, false, false, false, false]);
  });
});

describe('quality checks: validated when the DAG is built', () => {
  it('a TypeScript DAG with an invalid check throws, naming the task and the check', () => {
    const dag = new DAG({ dag_id: 'q' });
    const msg = errorOf(() => new QualityOperator({ task_id: 'quality_check', dag, checks: ['row_count > 0', 'revenue >== 0'] }));
    expect(msg).to.equal('task "quality_check": invalid check "revenue >== 0": expected a number, a \'string\' or a column after ">=", found "="');
  });

  it('a declarative DAG with an invalid check throws too', () => {
    const msg = errorOf(() => buildDeclarativeDag({
      name: 'd', tasks: [{ id: 'quality_check', type: 'quality', table: 't', checks: ['amount > lots of money'] }],
    }, OPERATOR_REGISTRY));
    expect(msg).to.include('task "quality_check": invalid check "amount > lots of money": unexpected "of" after the end of the check');
  });

  it('requires a non-empty list of string checks and rejects unknown arguments', () => {
    expect(errorOf(() => new QualityOperator({ task_id: 'q', checks: [] }))).to.include('checks must not be empty');
    expect(errorOf(() => new QualityOperator({ task_id: 'q', checks: [1 as unknown as string] }))).to.include('each check must be a string');
    expect(errorOf(() => new QualityOperator({ task_id: 'q', checks: ['row_count > 0'], tabel: 'x' } as never))).to.include('tabel');
  });
});
