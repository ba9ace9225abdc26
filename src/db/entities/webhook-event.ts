import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** Every provider event accepted once: the unique key drops duplicates. */
@Entity('webhook_event')
@Unique('webhook_event_provider_event', ['provider', 'eventId'])
export class WebhookEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'varchar', length: 20 })
  provider!: 'stripe' | 'telnyx';

  @Column({ name: 'event_id', type: 'varchar', length: 255 })
  eventId!: string;

  @Column({ type: 'varchar', length: 100 })
  type!: string;

  @Column({ name: 'fax_id', type: 'uuid', nullable: true })
  faxId!: string | null;

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;
}
