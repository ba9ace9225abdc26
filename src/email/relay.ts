import { createTransport, type SendMailOptions, type Transporter } from 'nodemailer';
import type { DataSource } from 'typeorm';
import type { Limits, Operator } from '../config/config';
import type { DocumentStore } from '../db/document-store';
import { EmailOutbox, type DueEmail, type OutboxListener, type SendOutcome } from '../db/email-outbox';
import { Faxes } from '../db/faxes';
import { unsealToken } from '../domain/token-seal';
import type { Logger } from '../log';
import { buildTransmissionReport } from '../reports/transmission-report';
import { composeEmail } from './compose';

export interface RetryPolicy {
  /** The pause after the first failure; each further failure doubles it. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Sending attempts before an email is given up. */
  maxAttempts: number;
}

/** About a day of trying: 30 s, 1 min, 2 min … then hourly. */
export const DEFAULT_RETRY: RetryPolicy = { firstDelayMs: 30_000, maxDelayMs: 3_600_000, maxAttempts: 30 };

export interface EmailRelayOptions {
  db: DataSource;
  store: DocumentStore;
  smtpUrl: string;
  /** The From header, `Name <address>` or a bare address. */
  from: string;
  publicBaseUrl: string;
  appSecret: string;
  operator: Operator;
  limits: Limits;
  log: Logger;
  /** How often due emails are looked for when no notification came (a lost NOTIFY, a retry falling due). */
  sweepMs?: number;
  retry?: RetryPolicy;
}

/** Waits before listening again after the LISTEN connection was lost. */
const RELISTEN_MS = 5_000;

/**
 * Sends the queued emails of the outbox over SMTP, in the worker process. A row is sent while
 * this relay holds it locked, so relays in several workers never send the same one; it is
 * marked sent only after the SMTP server accepted it, so none is lost. (A crash between the
 * two sends it again, under the same Message-ID, which receiving systems use to drop the
 * duplicate.) Woken by the outbox's NOTIFY, and by a periodic sweep that also picks up
 * retries that fell due.
 */
export class EmailRelay {
  private readonly outbox: EmailOutbox;
  private readonly faxes: Faxes;
  private readonly transport: Transporter;
  private readonly log: Logger;
  private readonly sweepMs: number;
  private readonly retry: RetryPolicy;
  private readonly messageDomain: string;
  private running = false;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private timer: NodeJS.Timeout | null = null;
  private listener: OutboxListener | null = null;
  private relisten: NodeJS.Timeout | null = null;

  constructor(private readonly opts: EmailRelayOptions) {
    this.outbox = new EmailOutbox(opts.db);
    this.faxes = new Faxes(opts.db);
    this.log = opts.log.child({ component: 'email' });
    this.sweepMs = opts.sweepMs ?? 30_000;
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.messageDomain = /@([^@\s>]+)>?\s*$/.exec(opts.from)?.[1] ?? 'durafax.invalid';
    // Bounded waits: a stuck server must not hold an outbox row (and its lock) for long.
    this.transport = createTransport({ url: opts.smtpUrl, connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 });
  }

  /** Starts listening and sends what is already due. */
  async start(): Promise<void> {
    this.running = true;
    await this.listen();
    this.wake();
  }

  /** Stops waking up, lets the email being sent finish, and closes the connections. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.relisten) clearTimeout(this.relisten);
    await this.listener?.close().catch(() => undefined);
    this.listener = null;
    await this.draining;
    this.transport.close();
  }

  /** Sends due emails until none is left, then sleeps until the next one falls due or the next sweep. */
  private wake(): void {
    if (!this.running) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.drainAgain) {
        this.drainAgain = false;
        this.wake();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.running && (await this.outbox.sendNext((email) => this.send(email)))) {
        // One email per transaction; the next one right after.
      }
      const due = await this.outbox.nextDueAt();
      this.sleep(due ? Math.min(this.sweepMs, Math.max(0, due.getTime() - Date.now())) : this.sweepMs);
    } catch (err) {
      // The database is out of reach; the sweep tries again.
      this.log.error('email relay cannot reach the outbox', { err });
      this.sleep(this.sweepMs);
    }
  }

  private sleep(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => this.wake(), ms);
    this.timer.unref();
  }

  private async listen(): Promise<void> {
    try {
      const listener = await this.outbox.listen(
        () => this.wake(),
        (err) => {
          this.listener = null;
          this.log.warn('email relay stopped listening; the sweep still runs', { err: err.message });
          this.listenLater();
        },
      );
      // Stopped while connecting: nothing is to be woken any more.
      if (this.running) this.listener = listener;
      else await listener.close();
    } catch (err) {
      this.log.warn('email relay cannot listen for new emails; the sweep still runs', { err: (err as Error).message });
      this.listenLater();
    }
  }

  private listenLater(): void {
    if (!this.running) return;
    this.relisten = setTimeout(() => {
      // A notification may have been missed meanwhile.
      void this.listen().then(() => this.wake());
    }, RELISTEN_MS);
    this.relisten.unref();
  }

  /** One attempt at one email; every failure becomes an outcome (retry later, or give up). */
  private async send(email: DueEmail): Promise<SendOutcome> {
    const ids = { emailId: email.id, faxId: email.faxId, kind: email.kind, attempt: email.attempts + 1 };
    let message;
    try {
      message = await this.message(email);
    } catch (err) {
      this.log.error('email could not be composed', { ...ids, err });
      return this.failure(email, 'compose');
    }
    if (!message) {
      this.log.error('email has no address to go to', ids);
      return { result: 'failed', error: 'no_address' };
    }
    try {
      await this.transport.sendMail(message);
      this.log.info('email sent', ids);
      return { result: 'sent' };
    } catch (err) {
      // Only codes are kept and logged: an SMTP server's words often repeat the address.
      const { code, responseCode } = err as { code?: string; responseCode?: number };
      const error = [code ?? 'error', responseCode].filter(Boolean).join(' ');
      // A 5xx refusal of the recipient or of the message will not change; anything else may.
      if (responseCode && responseCode >= 500 && (code === 'EENVELOPE' || code === 'EMESSAGE')) {
        this.log.error('email refused for good', { ...ids, error });
        return { result: 'failed', error };
      }
      this.log.warn('email not sent', { ...ids, error });
      return this.failure(email, error);
    }
  }

  private failure(email: DueEmail, error: string): SendOutcome {
    const failures = email.attempts + 1;
    if (failures >= this.retry.maxAttempts) {
      this.log.error('email given up after retries', { emailId: email.id, faxId: email.faxId, kind: email.kind, attempts: failures, error });
      return { result: 'failed', error };
    }
    const delay = Math.min(this.retry.maxDelayMs, this.retry.firstDelayMs * 2 ** (failures - 1));
    return { result: 'retry', at: new Date(Date.now() + delay), error };
  }

  /** The message for an outbox row, from the fax as it is now; null when the fax has no address. */
  private async message(email: DueEmail): Promise<SendMailOptions | null> {
    const fax = await this.faxes.get(email.faxId);
    if (!fax.email) return null;
    const sealed = await this.faxes.sealedToken(fax.id);
    const token = sealed ? unsealToken(sealed, this.opts.appSecret) : null;
    if (!token) this.log.warn('email goes without the status link: the token cannot be unsealed', { emailId: email.id, faxId: fax.id });
    const statusUrl = token ? `${this.opts.publicBaseUrl}/${fax.locale}/faxes/${fax.id}?t=${encodeURIComponent(token)}` : null;

    let report: Buffer | null = null;
    if (email.kind === 'receipt' && fax.status === 'delivered') {
      const thumbnail = await this.opts.store.find(fax.id, 'thumbnail', 1);
      report = await buildTransmissionReport({
        fax,
        attempts: await this.faxes.attempts(fax.id),
        firstPageThumbnail: thumbnail?.data ?? null,
        locale: fax.locale,
        operator: this.opts.operator,
      });
    }
    const composed = composeEmail({ kind: email.kind, fax, statusUrl, report, operator: this.opts.operator, limits: this.opts.limits });
    return {
      from: this.opts.from,
      to: fax.email,
      subject: composed.subject,
      text: composed.text,
      html: composed.html,
      attachments: composed.attachments,
      messageId: `<${email.id}@${this.messageDomain}>`,
      // RFC 3834: no auto-replies (vacation notices) to a machine's message.
      headers: { 'Auto-Submitted': 'auto-generated' },
    };
  }
}
