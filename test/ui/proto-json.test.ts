import type { Type } from 'protobufjs';
import { buildRequest, buildRoutes, errorJson, matchRoute, type RouteMatch } from '../../src/ui/gateway';
import { durationJson, JsonInputError, messageFromJson, messageJson, protoRoot, setParam, timestampJson } from '../../src/ui/proto-json';

const type = (name: string): Type => protoRoot.lookupType(name);

test('times are RFC 3339 with 0, 3, 6 or 9 fraction digits; durations are seconds with "s"', () => {
  expect(timestampJson(1_700_000_000, 0)).toBe('2023-11-14T22:13:20Z');
  expect(timestampJson('1700000000', 120_000_000)).toBe('2023-11-14T22:13:20.120Z');
  expect(timestampJson(1_700_000_000, 1_500)).toBe('2023-11-14T22:13:20.000001500Z');
  expect(timestampJson(1_700_000_000, 1_000)).toBe('2023-11-14T22:13:20.000001Z');
  expect(durationJson(10, 0)).toBe('10s');
  expect(durationJson(1, 500_000_000)).toBe('1.500s');
  expect(durationJson(0, 0)).toBe('0s');
  expect(durationJson(-3, -250_000_000)).toBe('-3.250s');
});

test('a message: int64 as strings, enums by full name, bytes in base64, defaults left out, maps and lists', () => {
  const event = messageJson(type('temporal.api.history.v1.HistoryEvent'), {
    eventId: { low: 7, high: 0, unsigned: false, toString: () => '7' },
    eventTime: { seconds: 1_700_000_000, nanos: 0 },
    eventType: 1,
    taskId: 0,
    workerMayIgnore: false,
    workflowExecutionStartedEventAttributes: {
      workflowType: { name: 'fax' },
      input: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') }] },
      workflowRunTimeout: { seconds: 90, nanos: 0 },
      attempt: 1,
      header: { fields: {} },
    },
  });
  expect(event).toEqual({
    eventId: '7',
    eventTime: '2023-11-14T22:13:20Z',
    eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
    workflowExecutionStartedEventAttributes: {
      workflowType: { name: 'fax' },
      input: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'Ingi' }] },
      workflowRunTimeout: '90s',
      attempt: 1,
      header: {},
    },
  });
});

test('Any details carry their @type and fields; unknown enum numbers stay numbers', () => {
  const failure = type('temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure');
  const value = failure.encode(failure.fromObject({ startRequestId: 'r1', runId: 'run-1' })).finish();
  const status = messageJson(type('google.rpc.Status'), {
    code: 6,
    message: 'exists',
    details: [{ type_url: 'type.googleapis.com/temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure', value }],
  });
  expect(status).toEqual({
    code: 6,
    message: 'exists',
    details: [{ '@type': 'type.googleapis.com/temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure', startRequestId: 'r1', runId: 'run-1' }],
  });
  expect(messageJson(type('temporal.api.workflow.v1.WorkflowExecutionInfo'), { status: 99 })).toEqual({ status: 99 });
});

test('request JSON: camelCase or snake_case names, enum names, int64 strings, times, durations, base64', () => {
  const req = messageFromJson(type('temporal.api.workflowservice.v1.SignalWorkflowExecutionRequest'), {
    workflow_execution: { workflowId: 'fax-1', run_id: 'r' },
    signalName: 'proceed',
    input: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'Ingi' }] },
  });
  expect(req.workflowExecution).toEqual({ workflowId: 'fax-1', runId: 'r' });
  const payload = (req.input as { payloads: Array<{ metadata: Record<string, Uint8Array>; data: Uint8Array }> }).payloads[0];
  expect(Buffer.from(payload.data).toString()).toBe('"x"');
  expect(Buffer.from(payload.metadata.encoding).toString()).toBe('json/plain');

  const start = messageFromJson(type('temporal.api.workflowservice.v1.StartWorkflowExecutionRequest'), {
    workflowRunTimeout: '1.5s',
    workflowIdReusePolicy: 'WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE',
  });
  expect(start).toEqual({ workflowRunTimeout: { seconds: '1', nanos: 500_000_000 }, workflowIdReusePolicy: 3 });
  expect(messageFromJson(type('google.protobuf.Timestamp'), '2023-11-14T22:13:20.5Z')).toEqual({ seconds: '1700000000', nanos: 500_000_000 });
  expect(() => messageFromJson(type('temporal.api.common.v1.WorkflowType'), { nope: 1 })).toThrow(JsonInputError);
  expect(() => messageFromJson(type('temporal.api.common.v1.Payload'), { data: 5 })).toThrow(JsonInputError);
});

test('URL parameters: dotted paths into nested messages, unknown names ignored', () => {
  const t = type('temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest');
  const req: Record<string, unknown> = {};
  expect(setParam(t, req, 'execution.runId', 'r1')).toBe(true);
  expect(setParam(t, req, 'waitNewEvent', 'true')).toBe(true);
  expect(setParam(t, req, 'next_page_token', 'AQID')).toBe(true);
  expect(setParam(t, req, 'historyEventFilterType', 'HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT')).toBe(true);
  expect(setParam(t, req, 'utm_source', 'x')).toBe(false);
  expect(req).toEqual({ execution: { runId: 'r1' }, waitNewEvent: true, nextPageToken: Uint8Array.from(Buffer.from([1, 2, 3])), historyEventFilterType: 2 });
  expect(() => setParam(t, req, 'maximumPageSize', 'many')).toThrow(JsonInputError);
});

describe('routes from the protos', () => {
  const routes = buildRoutes();
  const match = (verb: string, p: string): RouteMatch => {
    const m = matchRoute(routes, verb, p);
    if (!m || m === 'method-not-allowed') throw new Error(`no route for ${verb} ${p}`);
    return m;
  };

  test('each call of the UI reaches its RPC, the most specific path first', () => {
    expect(match('GET', '/namespaces/default/workflows').route.method.name).toBe('ListWorkflowExecutions');
    expect(match('GET', '/namespaces/default/workflow-count').route.method.name).toBe('CountWorkflowExecutions');
    expect(match('GET', '/namespaces/default/workflows/fax-1').route.method.name).toBe('DescribeWorkflowExecution');
    expect(match('GET', '/namespaces/default/workflows/fax-1/history').route.method.name).toBe('GetWorkflowExecutionHistory');
    expect(match('POST', '/namespaces/default/workflows/fax-1/cancel').route.method.name).toBe('RequestCancelWorkflowExecution');
    expect(match('POST', '/namespaces/default/workflows/fax-1/query/__stack_trace').route.method.name).toBe('QueryWorkflow');
    expect(match('GET', '/namespaces/default/task-queues/durafax-fax').route.method.name).toBe('DescribeTaskQueue');
    expect(match('GET', '/namespaces/default/search-attributes').route.service).toBe('operator');
    expect(matchRoute(routes, 'DELETE', '/namespaces/default/workflows')).toBe('method-not-allowed');
    expect(matchRoute(routes, 'GET', '/nothing/here')).toBeUndefined();
  });

  test('path parameters are decoded and win over the body', () => {
    const m = match('POST', '/namespaces/default/workflows/a%2Fb/signal/proceed');
    const req = buildRequest(m, new URLSearchParams(), { workflowExecution: { workflowId: 'other', runId: 'r' }, signalName: 'x' });
    expect(req).toEqual({ namespace: 'default', workflowExecution: { workflowId: 'a/b', runId: 'r' }, signalName: 'proceed' });
  });

  test('a failed call: HTTP status from the gRPC code; a bad request is INVALID_ARGUMENT', () => {
    expect(errorJson(Object.assign(new Error('x'), { code: 12, details: 'not implemented' }))).toEqual({
      status: 501,
      body: { code: 12, message: 'not implemented', details: [] },
    });
    expect(errorJson(new JsonInputError('bad'))).toEqual({ status: 400, body: { code: 3, message: 'bad', details: [] } });
    expect(errorJson(new Error('connect ECONNREFUSED')).status).toBe(503);
  });
});
