import type { DataSource } from 'typeorm';

export type WebhookProvider = 'stripe' | 'telnyx';

export interface WebhookEventInput {
  provider: WebhookProvider;
  eventId: string;
  type: string;
  faxId?: string | null;
}

/** The one home of the `webhook_event` table: which provider events were already handled. */
export class WebhookEvents {
  constructor(private readonly db: DataSource) {}

  /**
   * Records a provider event. True the first time an (provider, event id) pair is seen and
   * false for a duplicate: the unique constraint decides, so concurrent deliveries of the
   * same event are handled exactly once.
   */
  async record(e: WebhookEventInput): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `INSERT INTO webhook_event (provider, event_id, type, fax_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT ON CONSTRAINT webhook_event_provider_event DO NOTHING RETURNING id`,
      [e.provider, e.eventId, e.type, e.faxId ?? null],
    );
    return rows.length === 1;
  }

  /** The events received about a fax, in the order they came (for support). */
  async forFax(faxId: string): Promise<Array<{ provider: WebhookProvider; eventId: string; type: string; receivedAt: Date }>> {
    const rows: Array<{ provider: WebhookProvider; event_id: string; type: string; received_at: Date }> = await this.db.query(
      'SELECT provider, event_id, type, received_at FROM webhook_event WHERE fax_id = $1 ORDER BY received_at, id',
      [faxId],
    );
    return rows.map((r) => ({ provider: r.provider, eventId: r.event_id, type: r.type, receivedAt: r.received_at }));
  }

  /**
   * Forgets an event so a provider's redelivery is processed again. Used when handling the
   * event failed after it was recorded (for example the workflow could not be reached).
   */
  async forget(provider: WebhookProvider, eventId: string): Promise<void> {
    await this.db.query('DELETE FROM webhook_event WHERE provider = $1 AND event_id = $2', [provider, eventId]);
  }
}
