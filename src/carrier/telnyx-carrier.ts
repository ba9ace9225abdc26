import Telnyx from 'telnyx';
import type { Config } from '../config/config';
import { silentLogger, type Logger } from '../log';
import { encodeClientState } from './client-state';
import { CarrierError, toCarrierError } from './errors';
import { toCarrierFax } from './telnyx-fax';
import { isFinalCarrierStatus } from './transitions';
import type { Carrier, CarrierFax, SendLedger, SubmitRequest } from './types';

export interface CarrierOptions {
  log?: Logger;
  /** Per-request timeout in milliseconds (default 20 s). */
  timeoutMs?: number;
  /**
   * How far before the recorded start of a submission the reconciliation searches, to
   * absorb clock differences between this machine and the carrier (default 10 minutes).
   */
  reconcileMarginMs?: number;
  /** Sends webhooks for each fax here; production usually sets it on the Telnyx fax application instead. */
  webhookUrl?: string;
  /** Retries the library makes for reads and cancels (default 2); submissions are never retried by it. */
  maxRetries?: number;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const PAGE_SIZE = 50;
/** A fax has at most a handful of attempts a day; more pages than this means the filter failed. */
const MAX_RECONCILE_PAGES = 20;

/**
 * The fax carrier on Telnyx Programmable Fax through the official `telnyx` library. Telnyx
 * has no idempotency key and never retries, so `sendOnce` keeps its own memory (the ledger)
 * and reconciles through the carrier's list before submitting again.
 */
class TelnyxCarrier implements Carrier {
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly reconcileMarginMs: number;

  constructor(
    private readonly client: Telnyx,
    private readonly settings: { connectionId: string; fromNumber: string },
    private readonly opts: CarrierOptions = {},
  ) {
    this.log = (opts.log ?? silentLogger).child({ carrier: 'telnyx' });
    this.timeoutMs = opts.timeoutMs ?? 20_000;
    this.reconcileMarginMs = opts.reconcileMarginMs ?? 10 * 60_000;
  }

  async sendOnce(req: SubmitRequest, ledger: SendLedger): Promise<CarrierFax> {
    checkRequest(req);
    const log = this.log.child({ faxId: req.faxId, attempt: req.attempt });

    const recorded = await ledger.recorded(req.faxId, req.attempt);
    if (recorded) return this.get(recorded);

    const since = await ledger.submittingSince(req.faxId, req.attempt);
    if (since) {
      // A submission started earlier and its outcome was never recorded: the process may have
      // died after the carrier accepted it. Find it before sending the fax a second time.
      const found = await this.findSubmission(req, since);
      if (found) {
        log.warn('found an unrecorded submission at the carrier; not submitting again', { carrierFaxId: found.id });
        await ledger.record(req.faxId, req.attempt, found.id);
        return found;
      }
      log.info('no earlier submission reached the carrier; submitting');
    }

    await ledger.submitting(req.faxId, req.attempt, new Date());
    const fax = await this.submit(req);
    log.info('fax submitted', { carrierFaxId: fax.id, status: fax.status });
    await ledger.record(req.faxId, req.attempt, fax.id);
    return fax;
  }

  async get(carrierFaxId: string): Promise<CarrierFax> {
    checkId(carrierFaxId);
    try {
      const res = await this.client.faxes.retrieve(carrierFaxId, { timeout: this.timeoutMs });
      return toCarrierFax(res.data);
    } catch (err) {
      throw toCarrierError(err, 'get fax');
    }
  }

  async cancel(carrierFaxId: string): Promise<CarrierFax> {
    const current = await this.get(carrierFaxId);
    if (isFinalCarrierStatus(current.status)) return current;
    try {
      await this.client.faxes.actions.cancel(carrierFaxId, { timeout: this.timeoutMs });
    } catch (err) {
      const error = toCarrierError(err, 'cancel fax');
      // The fax may have finished between the read and the cancel: then there is nothing to cancel.
      if (error.kind !== 'invalid_request') throw error;
      const now = await this.get(carrierFaxId);
      if (isFinalCarrierStatus(now.status)) return now;
      throw error;
    }
    this.log.info('fax cancelled', { carrierFaxId });
    return this.get(carrierFaxId);
  }

  private async submit(req: SubmitRequest): Promise<CarrierFax> {
    try {
      const res = await this.client.faxes.create(
        {
          connection_id: this.settings.connectionId,
          from: this.settings.fromNumber,
          to: req.to,
          media_url: req.mediaUrl,
          client_state: encodeClientState({ faxId: req.faxId, attempt: req.attempt }),
          ...(this.opts.webhookUrl ? { webhook_url: this.opts.webhookUrl } : {}),
        },
        // A retried POST could transmit twice; a failed one is reconciled by the next sendOnce.
        { maxRetries: 0, timeout: this.timeoutMs },
      );
      return toCarrierFax(res.data);
    } catch (err) {
      throw toCarrierError(err, 'submit fax');
    }
  }

  /** The carrier's fax for this attempt, found by destination, time and client_state. */
  private async findSubmission(req: SubmitRequest, since: Date): Promise<CarrierFax | null> {
    const from = new Date(since.getTime() - this.reconcileMarginMs);
    const matches: CarrierFax[] = [];
    try {
      let page = await this.client.faxes.list({ filter: { to: { eq: req.to }, created_at: { gte: from.toISOString() } }, 'page[size]': PAGE_SIZE }, { timeout: this.timeoutMs });
      for (let n = 1; ; n++) {
        for (const item of page.getPaginatedItems()) {
          const fax = toCarrierFax(item);
          if (fax.clientState?.faxId === req.faxId && fax.clientState.attempt === req.attempt) matches.push(fax);
        }
        if (!page.hasNextPage() || n >= MAX_RECONCILE_PAGES) break;
        page = await page.getNextPage();
      }
    } catch (err) {
      throw toCarrierError(err, 'list faxes');
    }
    if (matches.length > 1) {
      this.log.error('several carrier faxes for one attempt', { faxId: req.faxId, attempt: req.attempt, count: matches.length });
    }
    matches.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    return matches[0] ?? null;
  }
}

function checkRequest(req: SubmitRequest): void {
  if (!req.faxId) throw new CarrierError('invalid_request', 'submit fax: fax id missing');
  if (!Number.isInteger(req.attempt) || req.attempt < 1) throw new CarrierError('invalid_request', 'submit fax: attempt must be a whole number ≥ 1');
  if (!E164.test(req.to)) throw new CarrierError('invalid_request', 'submit fax: destination is not in E.164 format', undefined, undefined, 'to');
  if (!/^https?:\/\//.test(req.mediaUrl)) throw new CarrierError('invalid_request', 'submit fax: media URL must be http(s)');
}

function checkId(id: string): void {
  if (!id || id.length > 255) throw new CarrierError('invalid_request', 'carrier fax id missing or too long');
}

/** Telnyx's API root for a configured base: the twin's root URL gets `/v2` appended. */
export function telnyxBaseUrl(apiBase: string | undefined): string | undefined {
  if (!apiBase) return undefined;
  const trimmed = apiBase.replace(/\/+$/, '');
  return trimmed.endsWith('/v2') ? trimmed : `${trimmed}/v2`;
}

/**
 * The carrier for a configuration: Telnyx itself, or the offline twin when `apiBase` is set
 * (sandbox mode). The same adapter code runs in both cases.
 */
export function createCarrier(config: Config['carrier'], opts: CarrierOptions = {}): Carrier {
  const client = new Telnyx({
    apiKey: config.apiKey,
    publicKey: config.publicKey || null,
    baseURL: telnyxBaseUrl(config.apiBase),
    timeout: opts.timeoutMs ?? 20_000,
    maxRetries: opts.maxRetries ?? 2,
    // The library would log to the console; our own logs say what matters, without personal data.
    logLevel: 'off',
  });
  return new TelnyxCarrier(client, { connectionId: config.connectionId, fromNumber: config.fromNumber }, opts);
}
