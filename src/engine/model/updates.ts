import type { Engine } from '../engine';
import { enums, protoRoot, type Command, type ProtocolMessage, type UpdateRequest } from '../proto';
import { addEvent } from './events';
import type { Execution, UpdateState } from './state';
import { scheduleWft } from './schedule-workflow-task';

const E = enums.EventType;
const STAGE = enums.UpdateWorkflowExecutionLifecycleStage;
const TYPE_PREFIX = 'type.googleapis.com/';

const pack = (type: string, value: Record<string, unknown>): { type_url: string; value: Uint8Array } => {
  const t = protoRoot.lookupType(type);
  return { type_url: TYPE_PREFIX + type, value: t.encode(t.fromObject(value)).finish() };
};

function unpack(body: ProtocolMessage['body']): { type: string; value: Record<string, unknown> } | undefined {
  const any = body as { type_url?: string; value?: Uint8Array } | null | undefined;
  if (!any?.type_url || !any.value) return undefined;
  const type = any.type_url.replace(TYPE_PREFIX, '');
  const t = protoRoot.lookupType(type);
  return { type, value: t.toObject(t.decode(any.value), { longs: Number, defaults: false }) };
}

/** UpdateWorkflowExecution: admits an update and asks for a workflow task to carry it. */
export function admitUpdate(engine: Engine, run: Execution, request: UpdateRequest): UpdateState {
  const updateId = request.meta?.updateId ?? '';
  const u: UpdateState = { updateId, request, stage: 'admitted' };
  run.state.updates[updateId] = u;
  engine.touch(run);
  scheduleWft(engine, run);
  return u;
}

export function stageNumber(u: UpdateState): number {
  return u.stage === 'completed' ? STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED : u.stage === 'accepted' ? STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED : STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
}

/** The protocol messages a workflow task hands the worker: every update still waiting for an answer. */
export function updateMessages(run: Execution, wftSeq: number, sequencingEventId: number): ProtocolMessage[] {
  const out: ProtocolMessage[] = [];
  for (const u of Object.values(run.state.updates)) {
    if (u.stage !== 'admitted') continue;
    u.deliveredIn = wftSeq;
    out.push({
      id: `${u.updateId}/request`,
      protocolInstanceId: u.updateId,
      eventId: sequencingEventId,
      body: pack('temporal.api.update.v1.Request', u.request),
    });
  }
  return out;
}

/** Admitted updates the worker has not seen in the task `wftSeq`: completing the workflow now would drop them. */
export function hasUnseenUpdates(run: Execution, wftSeq: number): boolean {
  return Object.values(run.state.updates).some((u) => u.stage === 'admitted' && u.deliveredIn !== wftSeq);
}

/** Checks the messages a completed workflow task sends back; an error message if one is bad. */
export function validateMessages(commands: Command[], messages: ProtocolMessage[]): string | undefined {
  const ids = new Set(messages.map((m) => m.id));
  for (const c of commands) {
    if (Number(c.commandType) !== enums.CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE) continue;
    const id = c.protocolMessageCommandAttributes?.messageId;
    if (!id || !ids.has(id)) return `Protocol message command refers to unknown message ${id ?? ''}.`;
  }
  for (const m of messages) {
    const body = unpack(m.body);
    if (!body || !['temporal.api.update.v1.Acceptance', 'temporal.api.update.v1.Rejection', 'temporal.api.update.v1.Response'].includes(body.type)) {
      return `Unsupported protocol message ${m.id ?? ''}.`;
    }
  }
  return undefined;
}

/** Applies one message from the worker: acceptance and response write events, a rejection does not. */
export function applyMessage(engine: Engine, run: Execution, message: ProtocolMessage): void {
  const body = unpack(message.body);
  const u = run.state.updates[message.protocolInstanceId ?? ''];
  if (!body || !u) return;
  engine.touch(run);
  const v = body.value;
  if (body.type === 'temporal.api.update.v1.Acceptance') {
    const ev = addEvent(engine, run, E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, 'workflowExecutionUpdateAcceptedEventAttributes', {
      protocolInstanceId: u.updateId,
      acceptedRequestMessageId: v.acceptedRequestMessageId as string,
      acceptedRequestSequencingEventId: v.acceptedRequestSequencingEventId as number,
      acceptedRequest: (v.acceptedRequest as UpdateRequest | undefined) ?? u.request,
    });
    u.stage = 'accepted';
    u.acceptedEventId = Number(ev.eventId);
  } else if (body.type === 'temporal.api.update.v1.Response') {
    u.outcome = v.outcome as UpdateState['outcome'];
    addEvent(engine, run, E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, 'workflowExecutionUpdateCompletedEventAttributes', {
      meta: u.request.meta ?? undefined,
      acceptedEventId: u.acceptedEventId ?? 0,
      outcome: u.outcome ?? undefined,
    });
    u.stage = 'completed';
  } else {
    u.outcome = { failure: v.failure as NonNullable<UpdateState['outcome']>['failure'] };
    u.stage = 'completed';
  }
}
