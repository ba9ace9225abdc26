/**
 * The Temporal UI server's HTTP API against a Temporal frontend with a real worker running real
 * workflows: the embedded engine, or a real `temporal server start-dev` when TEMPORAL_CLI_PATH is
 * set (test/helpers/temporal.ts). Each answer is checked against its recorded shape and for the
 * JSON forms the UI parses (int64 strings, RFC 3339 times, full enum names, base64 payloads).
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- answers are proto3 JSON, read field by field as the UI reads them */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import request from 'supertest';
import { silentLogger } from '../../src/log';
import { createUiApp } from '../../src/ui/app';
import { createLocalEnv } from '../helpers/temporal';
import * as activities from './activities';
import { RecordedShapes } from './shapes';

const REAL_SERVER = !!process.env.TEMPORAL_CLI_PATH;
const UI_VERSION = '2.38.0';
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let server: http.Server;
let base: string;
let staticDir: string;
let csrf: string;
const taskQueue = `ui-api-${randomUUID()}`;
const identity = `ui-test-worker-${process.pid}`;
const shapes = new RecordedShapes();

const decode = (payload: { data?: string }): unknown => JSON.parse(Buffer.from(payload.data ?? '', 'base64').toString('utf8'));
const api = (p: string): request.Test => request(base).get(`/api/v1${p}`);
const post = (p: string, body: unknown): request.Test =>
  request(base)
    .post(`/api/v1${p}`)
    .set('Cookie', `_csrf=${csrf}`)
    .set('X-CSRF-TOKEN', csrf)
    .send(body as object);

function expectShape(name: string, body: unknown): void {
  expect(shapes.mismatches(name, body)).toEqual([]);
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startCase(label: string): Promise<{ workflowId: string; runId: string }> {
  const workflowId = `case-${label}-${randomUUID()}`;
  const handle = await env.client.workflow.start('supportCase', { taskQueue, workflowId, args: [label] });
  return { workflowId, runId: handle.firstExecutionRunId };
}

async function describeRun(workflowId: string, runId: string): Promise<Record<string, any>> {
  const res = await api(`/namespaces/default/workflows/${encodeURIComponent(workflowId)}?execution.runId=${runId}`);
  expect(res.status).toBe(200);
  return res.body;
}

let quick: { workflowId: string; runId: string };
let held: { workflowId: string; runId: string };

beforeAll(async () => {
  if (!REAL_SERVER) {
    process.stdout.write(
      'test/ui/api.test.ts: skipped against a real Temporal server, none is configured (set TEMPORAL_CLI_PATH to a `temporal` CLI to run these tests on `temporal server start-dev`); running them on the embedded engine\n',
    );
  }
  env = await createLocalEnv();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, identity, workflowsPath: require.resolve('./workflows'), activities });
  running = worker.run();
  staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-ui-static-'));
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Temporal UI</title>');
  fs.mkdirSync(path.join(staticDir, '_app', 'immutable'), { recursive: true });
  fs.writeFileSync(path.join(staticDir, '_app', 'immutable', 'start.abc123.js'), 'export {};');
  const app = createUiApp({ connection: env.connection, defaultNamespace: 'default', staticDir, uiVersion: UI_VERSION, access: { kind: 'sandbox' }, log: silentLogger });
  server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const page = await request(base).get('/');
  csrf = /_csrf=([^;]+)/.exec(String(page.headers['set-cookie']))?.[1] ?? '';

  const q = await env.client.workflow.start('quickGreeting', { taskQueue, workflowId: `quick-${randomUUID()}`, args: ['Ada'] });
  await q.result();
  quick = { workflowId: q.workflowId, runId: q.firstExecutionRunId };
  held = await startCase('held');
}, 120_000);

afterAll(async () => {
  for (const release of activities.releases.values()) release();
  shapes.save();
  await new Promise((resolve) => server?.close(resolve));
  worker?.shutdown();
  await running;
  await env?.teardown();
  if (staticDir) fs.rmSync(staticDir, { recursive: true, force: true });
});

test('settings: the ui-server fields, with what this frontend lacks switched off', async () => {
  const res = await api('/settings');
  expect(res.status).toBe(200);
  expectShape('settings', res.body);
  expect(res.body).toMatchObject({ DefaultNamespace: 'default', Version: UI_VERSION, Auth: { Enabled: false }, StartWorkflowDisabled: true, WorkflowCancelDisabled: false });
  // Reset and batch operations: the engine has both, as a real server does.
  expect(res.body.WorkflowResetDisabled).toBe(false);
  expect(res.body.BatchActionsDisabled).toBe(false);
});

test('cluster and system info, namespaces and search attributes', async () => {
  const cluster = await api('/cluster-info');
  expectShape('cluster-info', cluster.body);
  expect(cluster.body.serverVersion).toMatch(/^\d+\.\d+/);

  const system = await api('/system-info');
  expectShape('system-info', system.body);
  expect(system.body.capabilities.countGroupByExecutionStatus).toBe(true);

  const namespaces = await api('/namespaces');
  expectShape('namespaces', namespaces.body);
  expect(namespaces.body.namespaces.map((n: any) => n.namespaceInfo.name)).toContain('default');

  const ns = await api('/namespaces/default');
  expectShape('namespace', ns.body);
  expect(ns.body.namespaceInfo.state).toBe('NAMESPACE_STATE_REGISTERED');
  expect(ns.body.config.workflowExecutionRetentionTtl).toMatch(/^\d+s$/);

  const attrs = await api('/namespaces/default/search-attributes');
  expectShape('search-attributes', attrs.body);
  expect(attrs.body.systemAttributes).toMatchObject({ ExecutionStatus: 'INDEXED_VALUE_TYPE_KEYWORD', StartTime: 'INDEXED_VALUE_TYPE_DATETIME' });
});

test('workflow list with a visibility query, paged, and the count grouped by status', async () => {
  const query = encodeURIComponent(`TaskQueue="${taskQueue}"`);
  const first = await api(`/namespaces/default/workflows?pageSize=1&nextPageToken=&query=${query}`);
  expect(first.status).toBe(200);
  expectShape('workflows', first.body);
  expect(first.body.executions).toHaveLength(1);
  expect(first.body.nextPageToken).toBeTruthy();
  // The UI sends the token back as a query parameter (base64 with "+" and "/").
  const second = await api(`/namespaces/default/workflows?pageSize=1&nextPageToken=${encodeURIComponent(first.body.nextPageToken)}&query=${query}`);
  expect(second.body.executions).toHaveLength(1);
  const ids = [...first.body.executions, ...second.body.executions].map((e: any) => e.execution.workflowId).sort();
  expect(ids).toEqual([held.workflowId, quick.workflowId].sort());
  const done = [...first.body.executions, ...second.body.executions].find((e: any) => e.execution.workflowId === quick.workflowId);
  expect(done).toMatchObject({ status: 'WORKFLOW_EXECUTION_STATUS_COMPLETED', type: { name: 'quickGreeting' }, taskQueue });
  expect(done.startTime).toMatch(TIME);
  expect(done.historyLength).toMatch(/^\d+$/);

  const count = await api(`/namespaces/default/workflow-count?query=${encodeURIComponent(`TaskQueue="${taskQueue}" GROUP BY ExecutionStatus`)}`);
  expect(count.status).toBe(200);
  expectShape('workflow-count', count.body);
  expect(count.body.count).toBe('2');
  const groups = Object.fromEntries(count.body.groups.map((g: any) => [decode(g.groupValues[0]), g.count]));
  expect(groups).toEqual({ Running: '1', Completed: '1' });
});

test('a workflow without run id: the latest run, by WorkflowId', async () => {
  const res = await api(`/namespaces/default/workflows?query=${encodeURIComponent(`WorkflowId="${quick.workflowId}"`)}&pageSize=1`);
  expect(res.body.executions[0].execution.runId).toBe(quick.runId);
});

test('describe and history of a closed workflow: events in pages, payloads in base64', async () => {
  const described = await describeRun(quick.workflowId, quick.runId);
  expectShape('describe-completed', described);
  expect(described.workflowExecutionInfo).toMatchObject({ status: 'WORKFLOW_EXECUTION_STATUS_COMPLETED', execution: quick });
  expect(described.workflowExecutionInfo.closeTime).toMatch(TIME);
  expect(described.executionConfig.defaultWorkflowTaskTimeout).toMatch(/^\d+(\.\d+)?s$/);

  const path_ = `/namespaces/default/workflows/${quick.workflowId}/history?execution.runId=${quick.runId}`;
  const page1 = await api(`${path_}&maximumPageSize=3`);
  expect(page1.status).toBe(200);
  expect(page1.body.history.events.map((e: any) => e.eventId)).toEqual(['1', '2', '3']);
  expect(page1.body.nextPageToken).toBeTruthy();
  const started = page1.body.history.events[0];
  expect(started.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
  expect(started.eventTime).toMatch(TIME);
  expect(decode(started.workflowExecutionStartedEventAttributes.input.payloads[0])).toBe('Ada');
  expect(Buffer.from(started.workflowExecutionStartedEventAttributes.input.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');

  // The UI's follow-up calls name the token in snake_case.
  const rest = await api(`${path_}&next_page_token=${encodeURIComponent(page1.body.nextPageToken)}`);
  const events = [...page1.body.history.events, ...rest.body.history.events];
  expectShape('history', { history: { events }, nextPageToken: page1.body.nextPageToken });
  expect(events[3].eventId).toBe('4');
  expect(events.map((e: any) => e.eventType)).toContain('EVENT_TYPE_ACTIVITY_TASK_COMPLETED');
  const completed = events[events.length - 1];
  expect(completed.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  expect(decode(completed.workflowExecutionCompletedEventAttributes.result.payloads[0])).toBe('Hello, Ada');
});

test('history long poll: a signal sent through the API wakes the waiting request', async () => {
  const path_ = `/namespaces/default/workflows/${held.workflowId}/history?execution.runId=${held.runId}&waitNewEvent=true`;
  // Wait until the first workflow task has completed (the workflow is then waiting for the signal).
  const current = await waitFor('the first workflow task', async () => {
    const res = await api(path_);
    return res.body.history.events.some((e: any) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED') ? res.body : undefined;
  });
  expect(current.nextPageToken).toBeTruthy();
  const waiting = api(`${path_}&next_page_token=${encodeURIComponent(current.nextPageToken)}`).then((r) => r);
  await new Promise((r) => setTimeout(r, 300));
  const signal = await post(`/namespaces/default/workflows/${held.workflowId}/signal/proceed`, {
    workflowExecution: { workflowId: held.workflowId, runId: held.runId },
    input: { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"go"').toString('base64') }] },
  });
  expect(signal.status).toBe(200);
  const woken = await waiting;
  expect(woken.status).toBe(200);
  const signalled = woken.body.history.events.find((e: any) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED');
  expect(signalled.workflowExecutionSignaledEventAttributes.signalName).toBe('proceed');
  expect(decode(signalled.workflowExecutionSignaledEventAttributes.input.payloads[0])).toBe('go');
});

test('a running workflow: its pending activity, its task queue pollers, its queries', async () => {
  // Until its first heartbeat is recorded, a started activity has no heartbeat fields yet.
  const described = await waitFor('the pending activity, heartbeating', async () => {
    const d = await describeRun(held.workflowId, held.runId);
    return d.pendingActivities?.[0]?.state === 'PENDING_ACTIVITY_STATE_STARTED' && d.pendingActivities[0].lastHeartbeatTime ? d : undefined;
  });
  expectShape('describe-running', described);
  expect(described.workflowExecutionInfo.status).toBe('WORKFLOW_EXECUTION_STATUS_RUNNING');
  expect(described.pendingActivities[0]).toMatchObject({ activityType: { name: 'holdOn' }, attempt: 1 });
  expect(described.pendingActivities[0].scheduledTime).toMatch(TIME);

  for (const type of ['1', '2']) {
    const tq = await api(`/namespaces/default/task-queues/${taskQueue}?taskQueueType=${type}`);
    expect(tq.status).toBe(200);
    expectShape(`task-queue-${type}`, tq.body);
    const poller = tq.body.pollers.find((p: any) => p.identity === identity);
    expect(poller).toBeDefined();
    expect(poller.lastAccessTime).toMatch(TIME);
  }

  const execution = { workflowId: held.workflowId, runId: held.runId };
  const step = await post(`/namespaces/default/workflows/${held.workflowId}/query/step`, { execution, query: { queryType: 'step' } });
  expect(step.status).toBe(200);
  expectShape('query', step.body);
  expect(decode(step.body.queryResult.payloads[0])).toBe('holding on');

  const stack = await post(`/namespaces/default/workflows/${held.workflowId}/query/__stack_trace`, { execution, query: { queryType: '__stack_trace' } });
  expect(stack.status).toBe(200);
  // The SDK's worker answers this built-in query itself: where the workflow waits.
  expect(String(decode(stack.body.queryResult.payloads[0]))).toMatch(/holdOn .*workflows\.ts/);

  const metadata = await post(`/namespaces/default/workflows/${held.workflowId}/query/__temporal_workflow_metadata`, {
    execution,
    query: { queryType: '__temporal_workflow_metadata' },
  });
  expect(metadata.status).toBe(200);
  const definition = (decode(metadata.body.queryResult.payloads[0]) as any).definition;
  expect(definition.type).toBe('supportCase');
  expect(definition.queryDefinitions.map((d: any) => d.name)).toContain('step');
  expect(definition.signalDefinitions.map((d: any) => d.name)).toContain('proceed');
});

test('writes need the CSRF token; cancel and terminate reach the workflow', async () => {
  const execution = { workflowId: held.workflowId, runId: held.runId };
  const refused = await request(base).post(`/api/v1/namespaces/default/workflows/${held.workflowId}/cancel`).set('Cookie', `_csrf=${csrf}`).send({ workflowExecution: execution });
  expect(refused.status).toBe(403);
  expect(refused.body.code).toBe(7);

  const cancel = await post(`/namespaces/default/workflows/${held.workflowId}/cancel`, { workflowExecution: execution, reason: 'support: customer asked' });
  expect(cancel.status).toBe(200);
  expect(cancel.body).toEqual({});
  const cancelled = await waitFor('the cancellation', async () => {
    const d = await describeRun(held.workflowId, held.runId);
    return d.workflowExecutionInfo.status === 'WORKFLOW_EXECUTION_STATUS_CANCELED' ? d : undefined;
  });
  expect(cancelled.workflowExecutionInfo.closeTime).toMatch(TIME);

  const other = await startCase('terminated');
  const terminate = await post(`/namespaces/default/workflows/${other.workflowId}/terminate`, { workflowExecution: other, reason: 'support: duplicate' });
  expect(terminate.status).toBe(200);
  const d = await describeRun(other.workflowId, other.runId);
  expect(d.workflowExecutionInfo.status).toBe('WORKFLOW_EXECUTION_STATUS_TERMINATED');
});

test('reset from the UI: a new run from the first workflow task, the signal after it reapplied, the old run terminated', async () => {
  const base_ = await startCase('reset');
  const events = async (runId: string): Promise<any[]> => (await api(`/namespaces/default/workflows/${base_.workflowId}/history?execution.runId=${runId}`)).body.history.events;
  const firstTask = await waitFor('the first workflow task', async () => (await events(base_.runId)).find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED'));
  await env.client.workflow.getHandle(base_.workflowId, base_.runId).signal('proceed', 'from the customer');
  await waitFor('the signal', async () => (await events(base_.runId)).find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED'));

  // What the UI's reset dialog sends.
  const reset = await post(`/namespaces/default/workflows/${base_.workflowId}/reset`, {
    workflowExecution: base_,
    workflowTaskFinishEventId: firstTask.eventId,
    requestId: randomUUID(),
    reason: 'support: reset from the Web UI',
    resetReapplyType: 'RESET_REAPPLY_TYPE_SIGNAL',
  });
  expect(reset.status).toBe(200);
  expect(reset.body.runId).toMatch(/^[0-9a-f-]{36}$/);
  expect(reset.body.runId).not.toBe(base_.runId);

  const old = await describeRun(base_.workflowId, base_.runId);
  expect(old.workflowExecutionInfo.status).toBe('WORKFLOW_EXECUTION_STATUS_TERMINATED');
  expect(old.workflowExtendedInfo.resetRunId).toBe(reset.body.runId);
  const renewed = await describeRun(base_.workflowId, reset.body.runId);
  expect(renewed.workflowExecutionInfo.status).toBe('WORKFLOW_EXECUTION_STATUS_RUNNING');
  const types = (await events(reset.body.runId)).map((e) => e.eventType);
  expect(types).toContain('EVENT_TYPE_WORKFLOW_TASK_FAILED');
  expect(types).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED');
  // The reapplied signal takes the new run past its wait, to the activity.
  await waitFor('the new run at its activity', async () => ((await describeRun(base_.workflowId, reset.body.runId)).pendingActivities?.length ? true : undefined));

  await post(`/namespaces/default/workflows/${base_.workflowId}/terminate`, { workflowExecution: { workflowId: base_.workflowId, runId: reset.body.runId }, reason: 'test over' });
});

test("Nexus: the endpoint routes, and a workflow's pending operation on its page", async () => {
  // An endpoint made through the API, as the UI's Nexus pages make it; nobody handles its queue, so the operation stays scheduled.
  const name = `fax-${randomUUID().slice(0, 8)}`;
  const handlerQueue = `ui-nexus-handler-${randomUUID()}`;
  const created = await post('/nexus/endpoints', { spec: { name, target: { worker: { namespace: 'default', taskQueue: handlerQueue } } } });
  expect(created.status).toBe(200);
  const endpointId = created.body.endpoint.id as string;
  expect(created.body.endpoint).toMatchObject({ version: '1', spec: { name, target: { worker: { namespace: 'default', taskQueue: handlerQueue } } } });
  expect(created.body.endpoint.createdTime).toMatch(TIME);
  const listed = await api(`/nexus/endpoints?name=${name}`);
  expect(listed.status).toBe(200);
  expect(listed.body.endpoints.map((e: any) => e.id)).toEqual([endpointId]);
  const one = await api(`/nexus/endpoints/${endpointId}`);
  expect(one.body.endpoint.spec.name).toBe(name);
  const taken = await post('/nexus/endpoints', { spec: { name, target: { worker: { namespace: 'default', taskQueue: handlerQueue } } } });
  expect(taken.status).toBe(409);
  expect(taken.body.code).toBe(6);
  const withDescription = { name, description: { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"fax line"').toString('base64') } };
  const updated = await post(`/nexus/endpoints/${endpointId}/update`, {
    version: '1',
    spec: { ...withDescription, target: { worker: { namespace: 'default', taskQueue: handlerQueue } } },
  });
  expect(updated.status).toBe(200);
  expect(updated.body.endpoint.version).toBe('2');
  expect(decode(updated.body.endpoint.spec.description)).toBe('fax line');

  // A caller whose workflow task schedules an operation on that endpoint (answered by hand, as a worker would).
  const svc = env.connection.workflowService;
  const callerQueue = `ui-nexus-caller-${randomUUID()}`;
  const workflowId = `nexus-caller-${randomUUID()}`;
  const { runId } = await svc.startWorkflowExecution({
    namespace: 'default',
    workflowId,
    workflowType: { name: 'callsFax' },
    taskQueue: { name: callerQueue },
    requestId: randomUUID(),
  });
  const task = await env.connection.withDeadline(Date.now() + 15_000, () => svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: callerQueue }, identity }));
  await svc.respondWorkflowTaskCompleted({
    namespace: 'default',
    taskToken: task.taskToken,
    identity,
    commands: [
      {
        commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION,
        scheduleNexusOperationCommandAttributes: { endpoint: name, service: 'fax', operation: 'send', input: {}, scheduleToCloseTimeout: msToTs(600_000) },
      },
    ],
  });
  const described = await describeRun(workflowId, runId);
  expect(described.pendingNexusOperations).toHaveLength(1);
  const pending = described.pendingNexusOperations[0];
  expect(pending).toMatchObject({ endpoint: name, service: 'fax', operation: 'send', state: 'PENDING_NEXUS_OPERATION_STATE_SCHEDULED', scheduleToCloseTimeout: '600s' });
  expect(pending.scheduledTime).toMatch(TIME);
  expect(pending.scheduledEventId).toMatch(/^\d+$/);
  const history = await api(`/namespaces/default/workflows/${workflowId}/history?execution.runId=${runId}`);
  const scheduled = history.body.history.events.find((e: any) => e.eventType === 'EVENT_TYPE_NEXUS_OPERATION_SCHEDULED');
  expect(scheduled.nexusOperationScheduledEventAttributes).toMatchObject({ endpoint: name, endpointId, service: 'fax', operation: 'send' });

  await post(`/namespaces/default/workflows/${workflowId}/terminate`, { workflowExecution: { workflowId, runId }, reason: 'test over' });
  const removed = await request(base).delete(`/api/v1/nexus/endpoints/${endpointId}?version=2`).set('Cookie', `_csrf=${csrf}`).set('X-CSRF-TOKEN', csrf);
  expect(removed.status).toBe(200);
  expect((await api(`/nexus/endpoints/${endpointId}`)).status).toBe(404);
});

test('errors carry the gRPC code, message and typed details; what a frontend lacks is a 501', async () => {
  const missing = await api(`/namespaces/default/workflows/no-such-${randomUUID()}?execution.runId=`);
  expect(missing.status).toBe(404);
  expectShape('error-not-found', missing.body);
  expect(missing.body.code).toBe(5);
  expect(missing.body.details[0]['@type']).toBe('type.googleapis.com/temporal.api.errordetails.v1.NotFoundFailure');

  const unknown = await api('/namespaces/default/no-such-thing');
  expect(unknown.status).toBe(404);

  const badParam = await api(`/namespaces/default/workflows?pageSize=abc`);
  expect(badParam.status).toBe(400);
  expect(badParam.body.code).toBe(3);

  const schedules = await api('/namespaces/default/schedules');
  expect(schedules.status).toBe(200);
  if (!REAL_SERVER) {
    // Post-reset operations are one thing the engine leaves UNIMPLEMENTED: the UI gets a 501 naming it.
    const reset = await post(`/namespaces/default/workflows/no-such-${randomUUID()}/reset`, {
      reason: 'test',
      workflowTaskFinishEventId: '3',
      requestId: randomUUID(),
      postResetOperations: [{ signalWorkflow: { signalName: 'note' } }],
    });
    expect(reset.status).toBe(501);
    expect(reset.body.code).toBe(12);
    expect(reset.body.message).toMatch(/PostResetOperations/);
  }
});

test('the built UI: files, and every other path renders the app', async () => {
  const page = await request(base).get('/namespaces/default/workflows/some-id/some-run/history');
  expect(page.status).toBe(200);
  expect(page.text).toContain('<title>Temporal UI</title>');
  expect(page.headers['cache-control']).toBe('no-cache');
  const asset = await request(base).get('/_app/immutable/start.abc123.js');
  expect(asset.status).toBe(200);
  expect(asset.headers['cache-control']).toContain('immutable');
  expect((await request(base).get('/_app/immutable/gone.js')).status).toBe(404);
  expect((await request(base).get('/..%2f..%2fetc%2fpasswd')).status).toBe(404);
});
