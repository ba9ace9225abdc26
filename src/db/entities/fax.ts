import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { FaxStatus, Locale, PaperSize, PaymentState } from '../../domain/status';
import type { ReasonCode } from '../../domain/reasons';

/** Optional cover page typed by the sender. Personal data: kept here, never in workflow history. */
export interface CoverSheet {
  senderName?: string;
  recipientName?: string;
  subject?: string;
  message?: string;
}

@Entity('fax')
export class Fax {
  @PrimaryColumn('uuid')
  id!: string;

  /** SHA-256 of the access token, hex. The token itself is shown once and never stored. */
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  /**
   * The token sealed with the app secret, kept only where it must be shown again: for requests
   * with an Idempotency-Key (a retried create gets the same answer, token included) and for
   * faxes with an email address (the emails link to the status page).
   */
  @Column({ name: 'token_sealed', type: 'text', nullable: true, select: false })
  tokenSealed!: string | null;

  @Column({ type: 'varchar', length: 20 })
  status!: FaxStatus;

  /** E.164; null once redacted at retention's end. */
  @Column({ name: 'to_number', type: 'varchar', length: 20, nullable: true })
  toNumber!: string | null;

  @Column({ type: 'char', length: 2 })
  country!: string;

  @Column({ type: 'varchar', length: 2 })
  locale!: Locale;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  cover!: CoverSheet | null;

  @Column({ type: 'varchar', length: 6, nullable: true })
  paper!: PaperSize | null;

  @Column({ type: 'int', nullable: true })
  pages!: number | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  warnings!: string[];

  /** Quoted price in minor units (cents). */
  @Column({ name: 'price_amount', type: 'int', nullable: true })
  priceAmount!: number | null;

  @Column({ type: 'char', length: 3, nullable: true })
  currency!: string | null;

  @Column({ name: 'payment_state', type: 'varchar', length: 12, default: 'none' })
  paymentState!: PaymentState;

  @Column({ name: 'checkout_session_id', type: 'varchar', length: 255, nullable: true })
  checkoutSessionId!: string | null;

  @Column({ name: 'checkout_url', type: 'text', nullable: true })
  checkoutUrl!: string | null;

  @Column({ name: 'payment_intent_id', type: 'varchar', length: 255, nullable: true })
  paymentIntentId!: string | null;

  /** When the sender must have paid by; after it the fax expires. */
  @Column({ name: 'payment_expires_at', type: 'timestamptz', nullable: true })
  paymentExpiresAt!: Date | null;

  /** The card hold's `capture_before`: capture must happen before it. */
  @Column({ name: 'hold_expires_at', type: 'timestamptz', nullable: true })
  holdExpiresAt!: Date | null;

  @Column({ name: 'amount_captured', type: 'int', default: 0 })
  amountCaptured!: number;

  @Column({ name: 'amount_refunded', type: 'int', default: 0 })
  amountRefunded!: number;

  @Column({ type: 'varchar', length: 20, default: 'telnyx' })
  carrier!: string;

  /** The carrier's id of the latest transmission attempt. */
  @Column({ name: 'carrier_fax_id', type: 'varchar', length: 255, nullable: true })
  carrierFaxId!: string | null;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'failure_reason', type: 'varchar', length: 40, nullable: true })
  failureReason!: ReasonCode | null;

  /** Extra words from the provider (never shown raw to senders; for support). */
  @Column({ name: 'failure_detail', type: 'text', nullable: true })
  failureDetail!: string | null;

  /** Client-chosen key of the create request, with a digest of what was sent under it. */
  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true, unique: true })
  idempotencyKey!: string | null;

  @Column({ name: 'request_digest', type: 'varchar', length: 64, nullable: true })
  requestDigest!: string | null;

  @Column({ name: 'workflow_id', type: 'varchar', length: 64 })
  workflowId!: string;

  /** When its workflow was started; null while Temporal was out of reach (started later by the web). */
  @Column({ name: 'workflow_started_at', type: 'timestamptz', nullable: true })
  workflowStartedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'paid_at', type: 'timestamptz', nullable: true })
  paidAt!: Date | null;

  /** When the document became fax pages (or was refused). */
  @Column({ name: 'converted_at', type: 'timestamptz', nullable: true })
  convertedAt!: Date | null;

  /** When the money reached its end state: captured, hold released or refunded. */
  @Column({ name: 'settled_at', type: 'timestamptz', nullable: true })
  settledAt!: Date | null;

  /** While retrying: when the next transmission is due. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @Column({ name: 'purge_at', type: 'timestamptz', nullable: true })
  purgeAt!: Date | null;

  @Column({ name: 'purged_at', type: 'timestamptz', nullable: true })
  purgedAt!: Date | null;

  /** The fax this one repeats: the sender sent that one's document again, to another number. */
  @Column({ name: 'resent_from', type: 'uuid', nullable: true })
  resentFrom!: string | null;
}
