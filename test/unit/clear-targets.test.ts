/** Which tasks a clear selects: matching, then upstream/downstream relatives (Airflow's partial_subset). Pure. */
import { expect } from 'chai';
import { selectTaskIds, withRelatives } from '../../core/transitions/clear-targets.ts';
import { errorOf } from '../support/error-of.ts';

// a -> b -> c -> d, x -> c, e alone
const edges: Array<[string, string]> = [['a', 'b'], ['b', 'c'], ['c', 'd'], ['x', 'c']];
const tasks = ['a', 'b', 'c', 'd', 'x', 'e'].map((id) => ({
  task_id: id,
  upstream: edges.filter(([, to]) => to === id).map(([from]) => from),
  downstream: edges.filter(([from]) => from === id).map(([, to]) => to),
}));
const sorted = (s: Set<string>) => [...s].sort();

describe('clear targets: task selection', () => {
  it('downstream and upstream are transitive', () => {
    expect(sorted(withRelatives(tasks, ['b'], false, true))).to.deep.equal(['b', 'c', 'd']);
    expect(sorted(withRelatives(tasks, ['c'], true, false))).to.deep.equal(['a', 'b', 'c', 'x']);
  });

  it('both directions start from the matched tasks: the upstream of a downstream task is not added', () => {
    expect(sorted(withRelatives(tasks, ['b'], true, true))).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('neither direction: only the matched tasks', () => {
    expect(sorted(withRelatives(tasks, ['b', 'e'], false, false))).to.deep.equal(['b', 'e']);
  });

  it('a regex is searched anywhere in the id (re.findall), task_ids are exact, both must hold', () => {
    expect(sorted(selectTaskIds(tasks, { task_regex: '[bx]' }))).to.deep.equal(['b', 'x']);
    expect(sorted(selectTaskIds(tasks, { task_ids: ['d'], include_upstream: true }))).to.deep.equal(['a', 'b', 'c', 'd', 'x']);
    expect(sorted(selectTaskIds(tasks, { task_regex: '[bx]', task_ids: ['x', 'e'] }))).to.deep.equal(['x']);
    expect(sorted(selectTaskIds(tasks, {}))).to.deep.equal(['a', 'b', 'c', 'd', 'e', 'x']);
  });

  it('an invalid regex is a UserInputError naming it', () => {
    expect(errorOf(() => selectTaskIds(tasks, { task_regex: '(' }))).to.equal('task regex is not a valid regular expression: (');
  });
});
