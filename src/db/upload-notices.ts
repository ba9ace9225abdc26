import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { Logger } from '../log';

/** Notified by a web process when an upload begins: a document to convert is on its way. */
const CHANNEL = 'upload_begun';
/** Waits before listening again after the listening connection was lost. */
const RELISTEN_MS = 5_000;

/**
 * Tells the workers that an upload began, so one can start a conversion process while the
 * document arrives (see conversionImminent). A hint only: nothing waits for it, and a failure
 * (the database out of reach) costs the document that head start, nothing else.
 */
export function announceUpload(db: DataSource, log: Logger): void {
  db.query(`SELECT pg_notify('${CHANNEL}', '')`).catch((err: unknown) => {
    log.debug('could not announce an upload', { err });
  });
}

/**
 * Calls `onUpload` whenever a web process announces an upload, over a connection of its own
 * that LISTENs, and listens again after losing it. Returns the function that stops listening.
 */
export function listenForUploads(databaseUrl: string, onUpload: () => void, log: Logger): () => Promise<void> {
  let client: Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  let stopped = false;
  const listen = async (): Promise<void> => {
    const next = new Client({ connectionString: databaseUrl, application_name: 'durafax-upload-listen' });
    const lost = (): void => {
      if (client !== next) return;
      client = null;
      next.end().catch(() => undefined);
      if (!stopped) retry = setTimeout(() => void listen(), RELISTEN_MS).unref();
    };
    next.on('notification', (n) => {
      if (n.channel === CHANNEL) onUpload();
    });
    next.on('error', lost);
    next.on('end', lost);
    client = next;
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      log.warn('cannot listen for uploads yet; conversion processes start with their document meanwhile', { err: (err as Error).message });
      lost();
    }
  };
  void listen();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    const last = client;
    client = null;
    await last?.end().catch(() => undefined);
  };
}
