import { ACTIVITY, RUN, UPDATE, WORKFLOW_TASK, type PhaseTable } from '../../src/engine/model/state';
import { enums } from '../../src/engine/proto';

type AnyTable = PhaseTable<readonly (readonly [string | number, string, string | number])[]>;

/** Every phase `start` leads to, through any number of rows. */
function reachable(table: AnyTable, start: string | number): Set<string | number> {
  const seen = new Set([start]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [from, , to] of table.rows) {
      if (seen.has(from) && !seen.has(to)) {
        seen.add(to);
        grew = true;
      }
    }
  }
  return seen;
}

const phases = (table: AnyTable): Set<string | number> => new Set(table.rows.flatMap(([from, , to]) => [from, to]));

test('a phase change the table does not list is refused', () => {
  expect(ACTIVITY.next('scheduled', 'start')).toBe('started');
  expect(() => ACTIVITY.next('backoff', 'complete')).toThrow('activity: no transition from backoff on complete');
  expect(UPDATE.find('completed', 'accept')).toBeUndefined();
  expect(() => RUN.next(enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED, 'terminate')).toThrow(/^run: /);
});

test.each([
  ['workflow task', WORKFLOW_TASK, 'none', ['none']],
  ['activity', ACTIVITY, 'none', ['none']],
  ['update', UPDATE, 'none', ['completed', 'aborted']],
])('every %s phase is reachable from the start, and from each one the part can end', (_name, table, start, ends) => {
  const all = phases(table);
  expect(reachable(table, start)).toEqual(all);
  for (const phase of all) expect(ends.some((end) => reachable(table, phase).has(end))).toBe(true);
});
