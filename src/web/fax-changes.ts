import { EventEmitter } from 'node:events';
import { Client } from 'pg';
import type { Logger } from '../log';

/** The channel the database's triggers notify with a fax id whenever a fax or one of its attempts changes. */
const FAX_CHANGED_CHANNEL = 'fax_changed';

/**
 * Tells this web process which faxes just changed, from PostgreSQL's NOTIFY: one listening
 * connection however many pages are open, and every web process hears every change. The
 * connection opens with the first subscriber and comes back by itself after a failure; a
 * subscriber also hears `resync` then, since changes may have been missed meanwhile.
 */
export class FaxChanges {
  private readonly events = new EventEmitter();
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
  ) {
    // Each open status page is one listener.
    this.events.setMaxListeners(0);
  }

  /** Calls `onChange` when fax `faxId` changes (or changes may have been missed); returns the unsubscribe. */
  subscribe(faxId: string, onChange: () => void): () => void {
    this.events.on(faxId, onChange);
    this.events.on('resync', onChange);
    void this.ensureListening();
    return () => {
      this.events.off(faxId, onChange);
      this.events.off('resync', onChange);
    };
  }

  private async ensureListening(): Promise<void> {
    if (this.client || this.connecting || this.stopped) return;
    this.connecting = this.listen().finally(() => {
      this.connecting = null;
    });
    await this.connecting;
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'durafax-web-changes' });
    client.on('notification', (msg) => {
      if (msg.channel === FAX_CHANGED_CHANNEL && msg.payload) this.events.emit(msg.payload);
    });
    client.on('error', (err) => {
      this.log.warn('lost the fax change notifications; reconnecting', { err });
      this.drop(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${FAX_CHANGED_CHANNEL}`);
      this.client = client;
      this.events.emit('resync');
    } catch (err) {
      this.log.warn('cannot listen for fax changes yet; retrying', { err });
      this.drop(client);
    }
  }

  private drop(client: Client): void {
    if (this.client === client) this.client = null;
    client.end().catch(() => undefined);
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.events.listenerCount('resync') > 0) void this.ensureListening();
    }, 2_000);
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.connecting;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
