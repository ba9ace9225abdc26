import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { silentLogger, type Logger } from '../../log';
import { Mailbox } from './mailbox';

export interface MailTwinOptions {
  /** 0 picks a free port. */
  port: number;
  /** Where received messages are kept, one .eml file each. */
  mailDir: string;
  log?: Logger;
}

export interface MailTwin {
  /** `smtp://127.0.0.1:<port>`, for SMTP_URL. */
  url: string;
  port: number;
  mailbox: Mailbox;
  stop(): Promise<void>;
}

/** Larger messages are refused (552), as a real server would; a report is a few kilobytes. */
const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/**
 * The sandbox's mail server: a real SMTP server (smtp-server) on the loopback interface that
 * accepts every message, without login or TLS, and keeps it in the mailbox folder. The worker's
 * relay sends to it exactly as it would to a real one. Sandbox mode only.
 */
export async function startMailTwin(opts: MailTwinOptions): Promise<MailTwin> {
  const log = (opts.log ?? silentLogger).child({ twin: 'mail' });
  const mailbox = new Mailbox(opts.mailDir);
  const server = new SMTPServer({
    banner: 'Durafax sandbox mail server',
    authOptional: true,
    // Nothing to log in to, and no certificate a client could check.
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error('message too large'), { responseCode: 552 }));
          return;
        }
        mailbox.save(Buffer.concat(chunks)).then(
          (id) => {
            log.info('mail received', { id });
            callback();
          },
          (err: unknown) => {
            log.error('mail could not be kept', { err });
            callback(Object.assign(new Error('cannot keep the message now'), { responseCode: 451 }));
          },
        );
      });
    },
  });
  server.on('error', (err) => log.error('mail server error', { err }));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    mailbox,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
