import { ScheduleNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { id, withTimeSkippingWorker } from './harness';

/** Schedules through the SDK's ScheduleClient, on virtual time: hours pass in moments. */
let env: TestWorkflowEnvironment;
let taskQueue: string;
withTimeSkippingWorker((context) => ({ env, taskQueue } = context));

const HOUR = 3_600_000;

/**
 * Moves the virtual clock to two minutes past the next hour. The tests count hour boundaries in a
 * sleep of three hours and a minute; begun in an hour's last minute (the clock goes on from the
 * tests before, and starts from the wall clock), that sleep would take in a fourth.
 */
async function pastTheHour(): Promise<void> {
  const now = await env.currentTimeMs();
  await env.sleep(HOUR - (now % HOUR) + 120_000);
}

async function startedBy(scheduleId: string): Promise<{ workflowId: string; status: string }[]> {
  const out: { workflowId: string; status: string }[] = [];
  for await (const w of env.client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })) out.push({ workflowId: w.workflowId, status: w.status.name });
  return out.sort((a, b) => (a.workflowId < b.workflowId ? -1 : 1));
}

test('an hourly schedule starts its workflow each hour, named by the scheduled time, and describe tells its story', async () => {
  await pastTheHour();
  const scheduleId = id('hourly');
  const handle = await env.client.schedule.create({
    scheduleId,
    spec: { intervals: [{ every: '1 hour' }] },
    action: { type: 'startWorkflow', workflowType: 'childGreeting', args: ['schedule'], taskQueue, workflowId: `${scheduleId}-wf` },
  });
  const t0 = await env.currentTimeMs();
  await env.sleep(3 * HOUR + 60_000);
  const runs = await startedBy(scheduleId);
  expect(runs).toHaveLength(3);
  expect(runs.every((r) => /-wf-\d{4}-\d\d-\d\dT\d\d:00:00Z$/.test(r.workflowId))).toBe(true);
  const described = await handle.describe();
  expect(described.info.recentActions).toHaveLength(3);
  expect(described.info.numActionsTaken).toBe(3);
  expect(described.info.nextActionTimes[0].getTime()).toBeGreaterThan(t0 + 3 * HOUR);
  const started = await env.client.workflow.getHandle(runs[0].workflowId).describe();
  expect(started.searchAttributes.TemporalScheduledById).toEqual([scheduleId]);
  expect(started.searchAttributes.TemporalScheduledStartTime?.[0]).toBeInstanceOf(Date);
  await handle.delete();
  await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
});

test('overlap: SKIP skips while the last run still runs; BUFFER_ONE keeps one for later and drops the rest', async () => {
  await pastTheHour();
  const skip = id('skip');
  const skipping = await env.client.schedule.create({
    scheduleId: skip,
    spec: { intervals: [{ every: '1 hour' }] },
    action: { type: 'startWorkflow', workflowType: 'collectNotes', args: [1], taskQueue, workflowId: skip },
    policies: { overlap: 'SKIP' },
  });
  const buffer = id('buffer');
  const buffering = await env.client.schedule.create({
    scheduleId: buffer,
    spec: { intervals: [{ every: '1 hour' }] },
    action: { type: 'startWorkflow', workflowType: 'collectNotes', args: [1], taskQueue, workflowId: buffer },
    policies: { overlap: 'BUFFER_ONE' },
  });
  await env.sleep(3 * HOUR + 60_000);
  expect(await startedBy(skip)).toHaveLength(1);
  const skipInfo = (await skipping.describe()).info;
  expect(skipInfo.numActionsSkippedOverlap).toBe(2);
  const bufferInfo = await buffering.describe();
  expect(Number(bufferInfo.raw.info?.bufferSize)).toBe(1);
  expect(Number(bufferInfo.raw.info?.bufferDropped)).toBe(1);
  // The running one ends: the buffered action starts at once.
  const [first] = await startedBy(buffer);
  await env.client.workflow.getHandle(first.workflowId).signal('note', 'done');
  await env.sleep(1000);
  const after = await startedBy(buffer);
  expect(after.map((r) => r.status)).toEqual(['COMPLETED', 'RUNNING']);
  for (const r of [...(await startedBy(skip)), ...after]) if (r.status === 'RUNNING') await env.client.workflow.getHandle(r.workflowId).terminate('test finished');
  await skipping.delete();
  await buffering.delete();
});

test('pause, unpause, trigger, backfill and update through the handle', async () => {
  await pastTheHour();
  const scheduleId = id('ops');
  const handle = await env.client.schedule.create({
    scheduleId,
    spec: { calendars: [{ hour: 9, minute: 30 }] },
    action: { type: 'startWorkflow', workflowType: 'childGreeting', args: ['ops'], taskQueue, workflowId: scheduleId },
    state: { paused: true, note: 'wait for go-live' },
  });
  let described = await handle.describe();
  expect(described.state).toMatchObject({ paused: true, note: 'wait for go-live' });
  await env.sleep(25 * HOUR);
  expect(await startedBy(scheduleId)).toHaveLength(0);

  await handle.trigger();
  const now = await env.currentTimeMs();
  await handle.backfill({ start: new Date(now - 3 * 24 * HOUR), end: new Date(now - 1), overlap: 'ALLOW_ALL' });
  await env.sleep(1000);
  expect(await startedBy(scheduleId)).toHaveLength(4);

  await handle.unpause('live');
  await handle.update((previous) => ({ ...previous, spec: { calendars: [{ hour: 10, minute: 15 }] } }));
  described = await handle.describe();
  expect(described.state).toMatchObject({ paused: false, note: 'live' });
  expect(described.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 10, end: 10, step: 1 }], minute: [{ start: 15, end: 15, step: 1 }] });
  expect(new Date(described.info.nextActionTimes[0]).getUTCHours()).toBe(10);
  await handle.delete();
});

test('pause on failure: a failed workflow pauses its schedule, saying why', async () => {
  await pastTheHour();
  const scheduleId = id('fragile');
  const handle = await env.client.schedule.create({
    scheduleId,
    spec: { intervals: [{ every: '1 hour' }] },
    action: { type: 'startWorkflow', workflowType: 'childFails', taskQueue, workflowId: scheduleId },
    policies: { pauseOnFailure: true },
  });
  await env.sleep(3 * HOUR);
  const described = await handle.describe();
  expect(described.state.paused).toBe(true);
  expect(described.state.note).toContain('Schedule paused due to workflow failure');
  expect(await startedBy(scheduleId)).toEqual([expect.objectContaining({ status: 'FAILED' })]);
  await handle.delete();
});

test('a schedule with limited actions stops when they are used up; list finds schedules by their search attributes', async () => {
  await pastTheHour();
  const scheduleId = id('limited');
  const handle = await env.client.schedule.create({
    scheduleId,
    spec: { cronExpressions: ['0 * * * *'] },
    action: { type: 'startWorkflow', workflowType: 'childGreeting', args: ['twice'], taskQueue, workflowId: scheduleId },
    state: { remainingActions: 2 },
    searchAttributes: { CustomKeywordField: [scheduleId] },
  });
  await env.sleep(4 * HOUR);
  expect(await startedBy(scheduleId)).toHaveLength(2);
  expect((await handle.describe()).state.remainingActions).toBe(0);
  const listed: string[] = [];
  for await (const s of env.client.schedule.list({ query: `CustomKeywordField = '${scheduleId}'` })) listed.push(s.scheduleId);
  expect(listed).toEqual([scheduleId]);
  await handle.delete();
});

test('a cron workflow runs at each time of its cron schedule, each run handing its result to the next', async () => {
  const workflowId = id('cron');
  await pastTheHour();
  await env.client.workflow.start('cronCount', { taskQueue, workflowId, cronSchedule: '0 * * * *' });
  await env.sleep(3 * HOUR + 60_000);
  const runs: { runId: string; status: string }[] = [];
  for await (const w of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push({ runId: w.runId, status: w.status.name });
  const completed = runs.filter((r) => r.status === 'COMPLETED');
  expect(completed).toHaveLength(3);
  expect(runs.filter((r) => r.status === 'RUNNING')).toHaveLength(1);
  const results = [];
  for (const r of completed) {
    const history = await env.client.workflow.getHandle(workflowId, r.runId).fetchHistory();
    const last = history.events!.at(-1)!.workflowExecutionCompletedEventAttributes!;
    expect(last.newExecutionRunId).toBeTruthy();
    results.push(JSON.parse(Buffer.from(last.result!.payloads![0].data!).toString()) as { count: number; cronSchedule: string; intervalMs: number });
  }
  expect(results.map((r) => r.count).sort()).toEqual([1, 2, 3]);
  expect(results[0].cronSchedule).toBe('0 * * * *');
  expect(results.every((r) => r.intervalMs > 0 && r.intervalMs <= HOUR)).toBe(true);
  await env.client.workflow.getHandle(workflowId).terminate('test finished');
  // A bad cron schedule is refused at the start.
  await expect(env.client.workflow.start('cronCount', { taskQueue, workflowId: id('bad-cron'), cronSchedule: '61 * * * *' })).rejects.toThrow();
});

test('the Temporal UI counts schedules as a real server’s scheduler workflows: running ones in the TemporalScheduler division', async () => {
  const prefix = id('counted');
  const make = (suffix: string, paused: boolean) =>
    env.client.schedule.create({
      scheduleId: `${prefix}-${suffix}`,
      spec: { intervals: [{ every: '1 day' }] },
      action: { type: 'startWorkflow', workflowType: 'childGreeting', args: ['counted'], taskQueue, workflowId: `${prefix}-${suffix}-wf` },
      state: { paused },
    });
  const handles = [await make('a', false), await make('b', true)];
  const count = async (query: string): Promise<number> => Number((await env.client.workflowService.countWorkflowExecutions({ namespace: 'default', query })).count);
  const division = 'TemporalNamespaceDivision="TemporalScheduler" AND ExecutionStatus="Running"';
  // As the UI's schedules page asks, with and without a filter of its own.
  const all = await count(division);
  expect(all).toBeGreaterThanOrEqual(2);
  expect(all).toBe((await env.client.workflowService.listSchedules({ namespace: 'default' })).schedules?.length);
  expect(await count(`${division} AND ScheduleId = "${prefix}-a"`)).toBe(1);
  expect(await count(`ScheduleId = "${prefix}-b" AND ${division}`)).toBe(1);
  expect(await count(`${division} AND TemporalSchedulePaused = true AND ScheduleId = "${prefix}-b"`)).toBe(1);
  expect(await count(`TemporalNamespaceDivision="TemporalScheduler" AND ExecutionStatus="Completed"`)).toBe(0);
  // Ordinary counts are not changed by schedules.
  expect(await count(`WorkflowId = "${prefix}-a-wf"`)).toBe(0);
  for (const h of handles) await h.delete();
  expect(await count(`${division} AND ScheduleId = "${prefix}-a"`)).toBe(0);
});
