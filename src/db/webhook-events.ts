import type { DataSource } from 'typeorm';

export interface WebhookEventInput {
  provider: 'stripe' | 'telnyx';
  eventId: string;
  type: string;
  faxId?: string | null;
}

/**
 * Records a provider event. Returns true the first time an (provider, event id) pair is seen
 * and false for a duplicate: the unique constraint decides, so concurrent deliveries of the
 * same event are handled exactly once.
 */
export async function recordWebhookEvent(db: DataSource, e: WebhookEventInput): Promise<boolean> {
  const rows: unknown[] = await db.query(
    `INSERT INTO webhook_event (provider, event_id, type, fax_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT ON CONSTRAINT webhook_event_provider_event DO NOTHING RETURNING id`,
    [e.provider, e.eventId, e.type, e.faxId ?? null],
  );
  return rows.length === 1;
}

/**
 * Forgets an event so a provider's redelivery is processed again. Used when handling the
 * event failed after it was recorded (for example the workflow could not be reached).
 */
export async function forgetWebhookEvent(db: DataSource, provider: 'stripe' | 'telnyx', eventId: string): Promise<void> {
  await db.query('DELETE FROM webhook_event WHERE provider = $1 AND event_id = $2', [provider, eventId]);
}
