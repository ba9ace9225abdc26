import type { Engine } from '../engine';
import { enums, protoRoot, type Command, type Failure, type ProtocolMessage, type UpdateRequest } from '../proto';
import { addEvent } from './events';
import { endFirstTaskBackoff } from './run-timers';
import { UPDATE, type Execution, type UpdateState } from './state';
import { scheduleWft } from './schedule-workflow-task';

const EventType = enums.EventType;
const LifecycleStage = enums.UpdateWorkflowExecutionLifecycleStage;
const TYPE_PREFIX = 'type.googleapis.com/';
const ACCEPTANCE = 'temporal.api.update.v1.Acceptance';
const REJECTION = 'temporal.api.update.v1.Rejection';
const RESPONSE = 'temporal.api.update.v1.Response';

const pack = (type: string, value: Record<string, unknown>): { type_url: string; value: Uint8Array } => {
  const messageType = protoRoot.lookupType(type);
  return { type_url: TYPE_PREFIX + type, value: messageType.encode(messageType.fromObject(value)).finish() };
};

function unpack(body: ProtocolMessage['body']): { type: string; value: Record<string, unknown> } | undefined {
  const any = body as { type_url?: string; value?: Uint8Array } | null | undefined;
  if (!any?.type_url || !any.value) return undefined;
  const type = any.type_url.replace(TYPE_PREFIX, '');
  const messageType = protoRoot.lookupType(type);
  return { type, value: messageType.toObject(messageType.decode(any.value), { longs: Number, defaults: false }) };
}

/** UpdateWorkflowExecution: admits an update and asks for a workflow task to carry it. */
export function admitUpdate(engine: Engine, run: Execution, request: UpdateRequest): UpdateState {
  const updateId = request.meta?.updateId ?? '';
  const update: UpdateState = { updateId, request, stage: UPDATE.next('none', 'admit') };
  run.state.updates[updateId] = update;
  engine.touch(run);
  // As the real server, an update does not wait out a start delay or backoff: it needs a task now.
  endFirstTaskBackoff(engine, run);
  scheduleWft(engine, run);
  return update;
}

/** What an accepted update gets when its workflow closes before the update completes (the real server's failure). */
const CLOSED_BEFORE_COMPLETION: Failure = {
  message: 'Workflow Update failed because the Workflow completed before the Update completed.',
  source: 'Server',
  applicationFailureInfo: { type: 'AcceptedUpdateCompletedWorkflow', nonRetryable: true },
};

/**
 * The run closes: an accepted update completes with the server's failure, so its caller gets an
 * update failure rather than an error; one the worker never accepted is aborted.
 */
export function abortUpdates(engine: Engine, run: Execution): void {
  for (const update of Object.values(run.state.updates)) {
    const stage = UPDATE.find(update.stage, 'abort');
    if (!stage) continue;
    if (stage === 'completed') update.outcome = { failure: CLOSED_BEFORE_COMPLETION };
    update.stage = stage;
    engine.touch(run);
  }
}

export function stageNumber(update: UpdateState): number {
  return update.stage === 'completed'
    ? LifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED
    : update.stage === 'accepted'
      ? LifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
      : LifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
}

/** The protocol messages a workflow task hands the worker: every update still waiting for an answer. */
export function updateMessages(run: Execution, wftSeq: number, sequencingEventId: number): ProtocolMessage[] {
  const out: ProtocolMessage[] = [];
  for (const update of Object.values(run.state.updates)) {
    if (update.stage !== 'admitted') continue;
    update.deliveredIn = wftSeq;
    // As the real server: an update admitted durably reaches the worker as its UpdateAdmitted event, not as a message.
    if (update.admittedEventId) continue;
    out.push({
      id: `${update.updateId}/request`,
      protocolInstanceId: update.updateId,
      eventId: sequencingEventId,
      body: pack('temporal.api.update.v1.Request', update.request),
    });
  }
  return out;
}

/** Admitted updates the worker has not seen in the task `wftSeq`: completing the workflow now would drop them. */
export function hasUnseenUpdates(run: Execution, wftSeq: number): boolean {
  return Object.values(run.state.updates).some((update) => update.stage === 'admitted' && update.deliveredIn !== wftSeq);
}

/** Checks the messages a completed workflow task sends back; an error message if one is bad. */
export function validateMessages(commands: Command[], messages: ProtocolMessage[]): string | undefined {
  const ids = new Set(messages.map((message) => message.id));
  for (const c of commands) {
    if (Number(c.commandType) !== enums.CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE) continue;
    const id = c.protocolMessageCommandAttributes?.messageId;
    if (!id || !ids.has(id)) return `Protocol message command refers to unknown message ${id ?? ''}.`;
  }
  for (const m of messages) {
    const body = unpack(m.body);
    if (!body || ![ACCEPTANCE, REJECTION, RESPONSE].includes(body.type)) {
      return `Unsupported protocol message ${m.id ?? ''}.`;
    }
  }
  return undefined;
}

/** Applies one message from the worker: acceptance and response write events, a rejection does not. */
export function applyMessage(engine: Engine, run: Execution, message: ProtocolMessage): void {
  const body = unpack(message.body);
  const update = run.state.updates[message.protocolInstanceId ?? ''];
  if (!body || !update) return;
  const event = body.type === ACCEPTANCE ? 'accept' : body.type === RESPONSE ? 'respond' : 'reject';
  // A message the update's stage does not allow (an acceptance of an update already accepted)
  // changes nothing, like a message for an unknown update.
  const stage = UPDATE.find(update.stage, event);
  if (!stage) return;
  engine.touch(run);
  const value = body.value;
  if (event === 'accept') {
    const accepted = addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, 'workflowExecutionUpdateAcceptedEventAttributes', {
      protocolInstanceId: update.updateId,
      acceptedRequestMessageId: value.acceptedRequestMessageId as string,
      acceptedRequestSequencingEventId: value.acceptedRequestSequencingEventId as number,
      // As the real server: the request is in the UpdateAdmitted event when there is one, not repeated here.
      acceptedRequest: update.admittedEventId ? undefined : ((value.acceptedRequest as UpdateRequest | undefined) ?? update.request),
    });
    update.acceptedEventId = Number(accepted.eventId);
  } else if (event === 'respond') {
    update.outcome = value.outcome as UpdateState['outcome'];
    addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, 'workflowExecutionUpdateCompletedEventAttributes', {
      meta: update.request.meta ?? undefined,
      acceptedEventId: update.acceptedEventId ?? 0,
      outcome: update.outcome ?? undefined,
    });
  } else {
    update.outcome = { failure: value.failure as NonNullable<UpdateState['outcome']>['failure'] };
  }
  update.stage = stage;
}
