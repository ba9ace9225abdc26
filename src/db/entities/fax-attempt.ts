import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import type { AttemptStatus } from '../../domain/status';
import type { ReasonCode } from '../../domain/reasons';
import { Fax } from './fax';

/** One transmission attempt. The row exists before the carrier is called (status `submitting`). */
@Entity('fax_attempt')
@Unique('fax_attempt_fax_number', ['faxId', 'number'])
export class FaxAttempt {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'fax_id', type: 'uuid' })
  faxId!: string;

  @ManyToOne(() => Fax, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'fax_id' })
  fax?: Fax;

  /** 1-based transmission number. */
  @Column({ type: 'int' })
  number!: number;

  @Column({ type: 'varchar', length: 12 })
  status!: AttemptStatus;

  @Column({ name: 'carrier_fax_id', type: 'varchar', length: 255, nullable: true, unique: true })
  carrierFaxId!: string | null;

  /** The carrier's own status string (queued, media.processed, originated, sending, delivered, failed). */
  @Column({ name: 'carrier_status', type: 'varchar', length: 32, nullable: true })
  carrierStatus!: string | null;

  @Column({ type: 'varchar', length: 40, nullable: true })
  reason!: ReasonCode | null;

  /** The carrier's raw failure reason, for support. */
  @Column({ name: 'carrier_reason', type: 'varchar', length: 80, nullable: true })
  carrierReason!: string | null;

  @Column({ type: 'boolean', nullable: true })
  retryable!: boolean | null;

  @Column({ name: 'pages_sent', type: 'int', nullable: true })
  pagesSent!: number | null;

  @Column({ name: 'duration_secs', type: 'int', nullable: true })
  durationSecs!: number | null;

  @Column({ name: 'submitted_at', type: 'timestamptz', nullable: true })
  submittedAt!: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
