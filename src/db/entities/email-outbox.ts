import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** `payment_confirmed`: "we are sending your fax, follow it here"; `receipt`: how the fax ended. */
export const EMAIL_KINDS = ['payment_confirmed', 'receipt'] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

/** `pending` until the SMTP server took it; `failed` once it was refused for good or retried too often. */
export type EmailState = 'pending' | 'sent' | 'failed';

/**
 * An email to a fax's sender, queued in the transaction of the status change it tells about.
 * One per (fax, kind). The message is composed when it is sent, from the fax as it is then.
 */
@Entity('email_outbox')
@Unique('email_outbox_fax_kind', ['faxId', 'kind'])
export class EmailOutboxRow {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'fax_id', type: 'uuid' })
  faxId!: string;

  @Column({ type: 'varchar', length: 20 })
  kind!: EmailKind;

  @Column({ type: 'varchar', length: 10, default: 'pending' })
  state!: EmailState;

  /** Sending attempts that failed so far. */
  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt!: Date;

  /** The SMTP server's answer code or the error code of the last failure; never an address. */
  @Column({ name: 'last_error', type: 'varchar', length: 100, nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;
}
