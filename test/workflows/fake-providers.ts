import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { CarrierUpdate, FaxActivities, FaxPolicySnapshot, StatusUpdate, TransmissionSnapshot } from '../../src/workflows/contract';

/**
 * The providers of a fax, simulated in memory, behind the real activity interface: the
 * workflow's logic is tested here in virtual time; the real activities are tested against
 * PostgreSQL and the provider twins elsewhere.
 */
export type Outcome = 'delivered' | 'busy' | 'no_answer' | 'voice_line' | 'unallocated';

const FAILURES: Record<Exclude<Outcome, 'delivered'>, { reason: string; retryable: boolean }> = {
  busy: { reason: 'busy', retryable: true },
  no_answer: { reason: 'no_answer', retryable: true },
  voice_line: { reason: 'not_a_fax_machine', retryable: false },
  unallocated: { reason: 'number_unallocated', retryable: false },
};

export interface Scenario {
  policy?: Partial<FaxPolicySnapshot>;
  pages?: number;
  /** A conversion failure reason code instead of pages. */
  rejectWith?: string;
  /** Outcome of each transmission, in order. */
  transmissions?: Outcome[];
  /** `poll`: the watch activity reports the outcome; `webhook`: it waits and the test signals. */
  report?: 'poll' | 'webhook';
  /** Hold deadline relative to the authorization (virtual ms). */
  holdWindowMs?: number;
  /** Payment amount different from the quote. */
  wrongAmount?: boolean;
  /** Held until it settles: the activity that records the quote, after it recorded it. */
  quoteRecorded?: Promise<void>;
}

export interface Call {
  name: string;
  args: unknown[];
  at: number;
}

export class FakeProviders {
  readonly calls: Call[] = [];
  readonly statuses: StatusUpdate[] = [];
  readonly payment = { state: 'none' as 'none' | 'authorized' | 'captured' | 'released' | 'refunded', captures: 0, releases: 0, refunds: 0 };
  readonly transmissionsSent: string[] = [];
  readonly released: string[] = [];

  constructor(
    private readonly scenario: Scenario,
    /** The test environment's clock (virtual under time skipping). */
    private readonly now: () => Promise<number>,
  ) {}

  count(name: string): number {
    return this.calls.filter((c) => c.name === name).length;
  }

  callTimes(name: string): number[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.at);
  }

  private outcomeOf(attempt: number): Outcome {
    const list = this.scenario.transmissions ?? ['delivered'];
    return list[Math.min(attempt, list.length) - 1];
  }

  snapshotFor(carrierFaxId: string, attempt: number): TransmissionSnapshot {
    const outcome = this.outcomeOf(attempt);
    if (outcome === 'delivered') {
      return { carrierFaxId, status: 'delivered', final: true, delivered: true, retryable: false, reason: null, pagesSent: this.scenario.pages ?? 2 };
    }
    const f = FAILURES[outcome];
    return { carrierFaxId, status: 'failed', final: true, delivered: false, retryable: f.retryable, reason: f.reason, pagesSent: 0 };
  }

  activities(): FaxActivities {
    const s = this.scenario;
    const record = async (name: string, ...args: unknown[]): Promise<void> => {
      this.calls.push({ name, args, at: await this.now() });
    };
    const quote = { pages: s.pages ?? 2, amount: 99 + 79 * (s.pages ?? 2), currency: 'eur' };
    return {
      loadPolicy: async () => {
        await record('loadPolicy');
        return {
          paymentWindowMs: 3_600_000,
          maxTransmissions: 3,
          retryDelayMs: 300_000,
          retentionMs: 7 * 86_400_000,
          statusPollMs: 30_000,
          captureMarginMs: 3_600_000,
          ...s.policy,
        };
      },
      convertDocument: async (faxId) => {
        await record('convertDocument', faxId);
        if (s.rejectWith) throw ApplicationFailure.create({ type: s.rejectWith, message: 'cannot fax this', nonRetryable: true });
        return quote;
      },
      openCheckout: async (faxId, expiresAt) => {
        await record('openCheckout', faxId, expiresAt);
        return { checkoutSessionId: `cs_${faxId}`, url: `https://checkout.test/c/pay/cs_${faxId}`, expiresAt };
      },
      closeCheckout: async (faxId) => {
        await record('closeCheckout', faxId);
        return { paymentIntentId: null };
      },
      confirmPayment: async (faxId, pi) => {
        await record('confirmPayment', faxId, pi);
        if (s.wrongAmount) throw ApplicationFailure.create({ type: 'payment_amount_mismatch', message: 'amount', nonRetryable: true });
        this.payment.state = 'authorized';
        return { captureBefore: s.holdWindowMs ? (await this.now()) + s.holdWindowMs : null };
      },
      setStatus: async (faxId, update) => {
        await record('setStatus', faxId, update);
        this.statuses.push(update);
        if (update.status === 'awaiting_payment') await s.quoteRecorded;
      },
      submitTransmission: async (faxId, attempt) => {
        await record('submitTransmission', faxId, attempt);
        const id = `cf-${attempt}`;
        this.transmissionsSent.push(id);
        return { carrierFaxId: id };
      },
      watchTransmission: async (faxId, attempt, carrierFaxId) => {
        await record('watchTransmission', faxId, attempt, carrierFaxId);
        if ((s.report ?? 'poll') === 'poll') return this.snapshotFor(carrierFaxId, attempt);
        const ctx = Context.current();
        for (;;) {
          ctx.heartbeat();
          await ctx.sleep(50);
        }
      },
      recordCarrierUpdate: async (faxId, attempt, update: CarrierUpdate) => {
        await record('recordCarrierUpdate', faxId, attempt, update);
        const final = update.status === 'delivered' || update.status === 'failed';
        const delivered = update.status === 'delivered';
        const failure = update.failureReason === 'user_busy' ? FAILURES.busy : FAILURES.no_answer;
        return {
          carrierFaxId: update.carrierFaxId,
          status: update.status,
          final,
          delivered,
          retryable: final && !delivered ? failure.retryable : false,
          reason: final && !delivered ? failure.reason : null,
          pagesSent: update.pagesSent,
        };
      },
      cancelTransmission: async (faxId, carrierFaxId) => {
        await record('cancelTransmission', faxId, carrierFaxId);
      },
      capturePayment: async (faxId, pi) => {
        await record('capturePayment', faxId, pi);
        this.payment.captures++;
        this.payment.state = 'captured';
        return { paymentState: 'captured', done: true };
      },
      releasePayment: async (faxId, pi) => {
        await record('releasePayment', faxId, pi);
        this.payment.releases++;
        this.released.push(pi);
        if (this.payment.state === 'authorized') this.payment.state = 'released';
        return { paymentState: 'released', done: true };
      },
      refundPayment: async (faxId, pi) => {
        await record('refundPayment', faxId, pi);
        this.payment.refunds++;
        this.payment.state = 'refunded';
        return { paymentState: 'refunded', done: true };
      },
      purgeDocuments: async (faxId) => {
        await record('purgeDocuments', faxId);
        return 5;
      },
      prepareResend: async (faxId, actionId) => {
        await record('prepareResend', faxId, actionId);
        return { country: 'FR' };
      },
    };
  }
}
