import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A signed-in support user. The cookie holds a random token; only its SHA-256 is stored. */
@Entity('support_session')
export class SupportSessionRow {
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ type: 'varchar', length: 64 })
  username!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}

/** Failed sign-ins of one user name in the current window, and until when it is locked. */
@Entity('support_lockout')
export class SupportLockoutRow {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  username!: string;

  @Column({ type: 'int' })
  failures!: number;

  @Column({ name: 'first_failure_at', type: 'timestamptz' })
  firstFailureAt!: Date;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;
}

/** A one-time sign-in link (sandbox mode): the token's SHA-256, used at most once. */
@Entity('support_login_link')
export class SupportLoginLinkRow {
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ type: 'varchar', length: 64 })
  username!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}

export const SUPPORT_ACTION_KINDS = ['cancel', 'refund', 'resend'] as const;
export type SupportActionKind = (typeof SUPPORT_ACTION_KINDS)[number];

/**
 * What a support action came to: `pending` until the workflow answered; then what it did
 * (`accepted`, `refunded`, `resending`), that it had been done already (`already_done`),
 * that it refused (`refused`, with the reason code), or that the workflow no longer runs
 * (`closed`).
 */
export type SupportActionOutcome = 'pending' | 'accepted' | 'refunded' | 'resending' | 'already_done' | 'refused' | 'closed' | 'failed';

/**
 * The audit log: one row per support action on a fax, written before the workflow is asked
 * and completed with its answer. Who, what, why, when and what came of it.
 */
@Entity('support_action')
export class SupportActionRow {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'fax_id', type: 'uuid' })
  faxId!: string;

  /** The support user's name. */
  @Column({ type: 'varchar', length: 64 })
  actor!: string;

  @Column({ type: 'varchar', length: 10 })
  kind!: SupportActionKind;

  /** Why, in the support user's words. Kept here, never in workflow history or logs; null once redacted with the fax. */
  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  /** A resend's corrected number (E.164) and the number it replaced. */
  @Column({ name: 'to_number', type: 'varchar', length: 20, nullable: true })
  toNumber!: string | null;

  @Column({ name: 'previous_number', type: 'varchar', length: 20, nullable: true })
  previousNumber!: string | null;

  @Column({ type: 'varchar', length: 20 })
  outcome!: SupportActionOutcome;

  /** A refusal's or failure's reason code. */
  @Column({ name: 'outcome_code', type: 'varchar', length: 40, nullable: true })
  outcomeCode!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}
