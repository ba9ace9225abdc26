import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import fc from 'fast-check';
import { FINAL_FAX_STATUSES } from '../../src/domain/status';
import {
  cancelSignal,
  carrierEventSignal,
  faxWorkflowId,
  paymentAuthorizedSignal,
  type CarrierUpdate,
  type FaxActivities,
  type FaxState,
  type TransmissionSnapshot,
} from '../../src/workflows/contract';
import type { faxWorkflow } from '../../src/workflows/fax';
import { FAX_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { event, until, workflowsPath } from './harness';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

/**
 * A model test of the fax workflow: fast-check generates a fax (its document, the outcome of
 * each transmission, how the carrier reports, the card hold's window) and a sequence of
 * what the world does to it — payments (duplicates, a second card), cancels, carrier reports
 * for any transmission already sent in any order and repeated, and time skipped — and the
 * invariants must hold at the end of every sequence, checked against what the simulated
 * providers recorded. The workflow runs for real on the engine under time skipping.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RUNS = Number(process.env.MODEL_RUNS ?? 30);

type Outcome = 'delivered' | 'busy' | 'voice';
interface FaxCase {
  conversion: 'ok' | 'rejected' | 'crashes';
  transmissions: Outcome[];
  report: 'poll' | 'webhook';
  holdWindowMs: number | null;
}
type Command =
  | { kind: 'pay'; pi: 'pi_a' | 'pi_b'; source: 'webhook' | 'redirect' }
  | { kind: 'cancel'; by: 'sender' | 'support' }
  | { kind: 'carrier'; attempt: number; stage: 0 | 1 | 2 }
  | { kind: 'skip'; ms: number };

const CARRIER_FAILURE: Record<Exclude<Outcome, 'delivered'>, { failureReason: string; reason: string; retryable: boolean }> = {
  busy: { failureReason: 'user_busy', reason: 'busy', retryable: true },
  voice: { failureReason: 'receiver_incompatible_destination', reason: 'not_a_fax_machine', retryable: false },
};

/**
 * The providers as one fax meets them: what the card, the carrier and the store recorded.
 * Like the real ones they are idempotent (Stripe's keys, the carrier adapter's reconciling by
 * fax and attempt): an activity run again after a timeout has its effect once.
 */
class ModelWorld {
  readonly authorized = new Set<string>();
  readonly captured = new Set<string>();
  readonly released = new Set<string>();
  readonly refunded = new Set<string>();
  /** Carrier fax id → its final report, once the carrier has one. */
  readonly finals = new Map<string, TransmissionSnapshot>();
  readonly submitted = new Set<number>();
  readonly cancelledTransmissions = new Set<string>();
  purges = 0;
  statuses: string[] = [];

  constructor(readonly fax: FaxCase) {}

  outcome(attempt: number): Outcome {
    return this.fax.transmissions[Math.min(attempt, this.fax.transmissions.length) - 1];
  }

  /** What the carrier reports at a stage of transmission `attempt` (stage 2: its outcome). */
  report(attempt: number, stage: 0 | 1 | 2): CarrierUpdate {
    const carrierFaxId = `cf-${attempt}`;
    if (stage < 2) return event(carrierFaxId, stage === 0 ? 'queued' : 'sending');
    const outcome = this.outcome(attempt);
    if (outcome === 'delivered') return event(carrierFaxId, 'delivered', { pagesSent: 1 });
    return event(carrierFaxId, 'failed', { failureReason: CARRIER_FAILURE[outcome].failureReason, pagesSent: 0 });
  }

  /** The carrier's classified state of a report; a final one never moves back, as the real activity keeps it. */
  classify(attempt: number, update: CarrierUpdate): TransmissionSnapshot {
    const known = this.finals.get(update.carrierFaxId);
    if (known) return known;
    const final = update.status === 'delivered' || update.status === 'failed';
    const failure = update.status === 'failed' ? CARRIER_FAILURE[this.outcome(attempt) as Exclude<Outcome, 'delivered'>] : null;
    const snapshot: TransmissionSnapshot = {
      carrierFaxId: update.carrierFaxId,
      status: update.status,
      final,
      delivered: update.status === 'delivered',
      retryable: failure?.retryable ?? false,
      reason: failure?.reason ?? null,
      pagesSent: update.pagesSent,
    };
    if (final) this.finals.set(update.carrierFaxId, snapshot);
    return snapshot;
  }
}

/** One set of activities for every fax of the run, each call routed to its fax's world. */
function modelActivities(worlds: Map<string, ModelWorld>): FaxActivities {
  const w = (faxId: string): ModelWorld => worlds.get(faxId)!;
  return {
    loadPolicy: async () => ({ paymentWindowMs: HOUR, maxTransmissions: 3, retryDelayMs: 5 * 60_000, retentionMs: 7 * DAY, statusPollMs: 30_000, captureMarginMs: HOUR }),
    convertDocument: async (faxId) => {
      const { conversion } = w(faxId).fax;
      if (conversion === 'rejected') throw ApplicationFailure.create({ type: 'corrupt_document', message: 'unreadable', nonRetryable: true });
      // A converter process that dies every time: a plain error, retried by policy.
      if (conversion === 'crashes') throw new Error('conversion process ended without an answer');
      return { pages: 1, amount: 178, currency: 'eur' };
    },
    openCheckout: async (faxId, expiresAt) => ({ checkoutSessionId: `cs_${faxId}`, url: `https://checkout.test/${faxId}`, expiresAt }),
    closeCheckout: async () => ({ paymentIntentId: null }),
    confirmPayment: async (faxId, pi) => {
      const world = w(faxId);
      world.authorized.add(pi);
      return { captureBefore: world.fax.holdWindowMs === null ? null : Date.now() + world.fax.holdWindowMs };
    },
    setStatus: async (faxId, update) => {
      w(faxId).statuses.push(update.status);
    },
    submitTransmission: async (faxId, attempt) => {
      w(faxId).submitted.add(attempt);
      return { carrierFaxId: `cf-${attempt}` };
    },
    watchTransmission: async (faxId, attempt, carrierFaxId) => {
      const world = w(faxId);
      if (world.fax.report === 'poll') return world.classify(attempt, world.report(attempt, 2));
      // Webhooks only: each look learns nothing new and, as the real watch, asks to be run again
      // later; it is cancelled once a webhook tells the outcome. An hour apart, not the policy's
      // 30 s: a skipped day would otherwise make thousands of looks that tell nothing.
      const final = world.finals.get(carrierFaxId);
      if (final) return final;
      throw ApplicationFailure.create({ type: 'transmission_in_progress', message: 'still going', nextRetryDelay: '1h', category: ApplicationFailureCategory.BENIGN });
    },
    recordCarrierUpdate: async (faxId, attempt, update) => w(faxId).classify(attempt, update),
    cancelTransmission: async (faxId, carrierFaxId) => {
      w(faxId).cancelledTransmissions.add(carrierFaxId);
    },
    capturePayment: async (faxId, pi) => {
      w(faxId).captured.add(pi);
      return { paymentState: 'captured', done: true };
    },
    releasePayment: async (faxId, pi) => {
      w(faxId).released.add(pi);
      return { paymentState: 'released', done: true };
    },
    refundPayment: async (faxId, pi) => {
      w(faxId).refunded.add(pi);
      return { paymentState: 'refunded', done: true };
    },
    purgeDocuments: async (faxId) => {
      w(faxId).purges++;
      return 1;
    },
    prepareResend: async () => {
      throw new Error('support actions are not part of this model');
    },
  };
}

const faxCase: fc.Arbitrary<FaxCase> = fc.record({
  conversion: fc.constantFrom<FaxCase['conversion']>('ok', 'ok', 'ok', 'ok', 'rejected', 'crashes'),
  transmissions: fc.array(fc.constantFrom<Outcome>('delivered', 'busy', 'voice'), { minLength: 1, maxLength: 3 }),
  report: fc.constantFrom<FaxCase['report']>('poll', 'webhook'),
  // A hold shorter than the transmissions (captured early, refunded on failure), or one that outlasts them.
  holdWindowMs: fc.constantFrom<number | null>(null, 2 * HOUR, 8 * DAY),
});

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      pi: fc.constantFrom('pi_a' as const, 'pi_b' as const),
      source: fc.constantFrom('webhook' as const, 'redirect' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), by: fc.constantFrom('sender' as const, 'support' as const) }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('carrier' as const), attempt: fc.integer({ min: 1, max: 3 }), stage: fc.constantFrom(0 as const, 1 as const, 2 as const) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('skip' as const), ms: fc.constantFrom(1_000, 60_000, 10 * 60_000, HOUR, DAY) }) },
);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
const worlds = new Map<string, ModelWorld>();

beforeAll(async () => {
  env = await createTimeSkippingEnv({ searchAttributes: { ...FAX_SEARCH_ATTRIBUTES } });
  // Bundled once for every run: a worker per run would bundle the workflow code each time.
  bundle = await bundleWorkflowCode({
    workflowsPath,
    logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, log: () => undefined },
  });
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

/** Applies one command while the workflow runs; a signal to a closed workflow changes nothing and counts for nothing. */
async function apply(handle: ReturnType<TestWorkflowEnvironment['client']['workflow']['getHandle']>, world: ModelWorld, cmd: Command, signalled: Set<string>): Promise<void> {
  const running = async (send: () => Promise<void>): Promise<boolean> => {
    if ((await handle.describe()).status.name !== 'RUNNING') return false;
    try {
      await send();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  };
  switch (cmd.kind) {
    case 'pay':
      // A card is paid on the fax's checkout, which exists only once the document was quoted.
      if (world.fax.conversion !== 'ok') return;
      if (await running(() => handle.signal(paymentAuthorizedSignal, { paymentIntentId: cmd.pi, checkoutSessionId: 'cs_1', source: cmd.source }))) signalled.add(cmd.pi);
      return;
    case 'cancel':
      await running(() => handle.signal(cancelSignal, { by: cmd.by }));
      return;
    case 'carrier':
      // The carrier reports only on transmissions it was given.
      if (world.submitted.has(cmd.attempt)) await running(() => handle.signal(carrierEventSignal, world.report(cmd.attempt, cmd.stage)));
      return;
    case 'skip':
      await env.sleep(cmd.ms);
  }
}

/**
 * Lets the fax end: waits for its result (time skips while nothing runs), the carrier
 * reporting the outcome of a transmission under way when only webhooks tell it.
 */
async function finish(handle: ReturnType<TestWorkflowEnvironment['client']['workflow']['getHandle']>, world: ModelWorld): Promise<FaxState> {
  const result = handle.result() as Promise<FaxState>;
  let ended = false;
  const settled = result.then(
    () => (ended = true),
    () => (ended = true),
  );
  while (!ended) {
    const last = Math.max(0, ...world.submitted);
    if (last > 0 && world.fax.report === 'webhook' && !world.finals.has(`cf-${last}`)) {
      await handle.signal(carrierEventSignal, world.report(last, 2)).catch(() => undefined);
    }
    await Promise.race([settled, new Promise((r) => setTimeout(r, 200))]);
  }
  return result;
}

/** Every violated invariant of one fax's end, in words; empty when all hold. */
function violations(world: ModelWorld, end: FaxState, signalled: Set<string>): string[] {
  const out: string[] = [];
  const delivered = [...world.finals.values()].filter((s) => s.delivered && !world.cancelledTransmissions.has(s.carrierFaxId)).length;
  if (!FINAL_FAX_STATUSES.includes(end.status)) out.push(`ended ${end.status}`);
  if (world.purges !== 1) out.push(`purged ${world.purges} times`);
  if (world.submitted.size > 3) out.push(`${world.submitted.size} transmissions`);
  if (world.submitted.size > 0 && world.authorized.size === 0) out.push('transmitted without a confirmed payment');
  for (const pi of signalled) if (!world.captured.has(pi) && !world.released.has(pi)) out.push(`hold ${pi} left open`);
  if (world.captured.size > 1) out.push(`captured ${world.captured.size} payments`);
  if (end.status === 'delivered') {
    if (delivered !== 1) out.push(`delivered with ${delivered} delivered transmissions`);
    if (world.captured.size !== 1 || world.refunded.size > 0) out.push(`delivered but captured ${world.captured.size}, refunded ${world.refunded.size}`);
    if (end.paymentState !== 'captured') out.push(`delivered with payment ${end.paymentState}`);
  } else {
    for (const pi of world.captured) if (!world.refunded.has(pi)) out.push(`${end.status} fax charged (${pi} captured, not refunded)`);
    if (end.paymentState === 'captured' || end.paymentState === 'authorized') out.push(`${end.status} fax with payment ${end.paymentState}`);
  }
  return out;
}

test(`the invariants hold for every generated sequence of signals, carrier reports and skipped time (${RUNS} runs)`, async () => {
  const taskQueue = `model-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: modelActivities(worlds),
    maxHeartbeatThrottleInterval: '200ms',
  });
  const outcomes = new Map<string, number>();
  await worker.runUntil(async () => {
    await fc.assert(
      fc.asyncProperty(faxCase, fc.array(command, { maxLength: 8 }), async (fax, commands) => {
        const faxId = randomUUID();
        const world = new ModelWorld(fax);
        worlds.set(faxId, world);
        const handle = await env.client.workflow.start<typeof faxWorkflow>('faxWorkflow', { taskQueue, workflowId: faxWorkflowId(faxId), args: [{ faxId, country: 'DE' }] });
        try {
          if (fax.conversion === 'ok') await until(handle, (s) => s.status !== 'converting');
          const signalled = new Set<string>();
          for (const cmd of commands) await apply(handle, world, cmd, signalled);
          const end = await finish(handle, world);
          outcomes.set(end.status, (outcomes.get(end.status) ?? 0) + 1);
          expect(violations(world, end, signalled)).toEqual([]);
          if (fax.conversion === 'crashes') expect(end).toMatchObject({ status: 'rejected', failureReason: 'conversion_failed' });
        } finally {
          // A workflow left open would hold the virtual clock for the next run.
          if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('model run ended');
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });
  // The generated faxes met more than one ending.
  expect(outcomes.size).toBeGreaterThanOrEqual(3);
}, 300_000);
