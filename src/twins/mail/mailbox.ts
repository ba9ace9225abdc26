import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AddressObject, ParsedMail } from 'mailparser';

/** `<ms since 1970, 15 digits>-<8 hex>.eml`: names sort by arrival, and nothing else is a message. */
const MESSAGE_ID = /^(\d{15})-[0-9a-f]{8}$/;

export interface MailAttachment {
  filename: string;
  contentType: string;
  size: number;
}

export interface MailSummary {
  id: string;
  receivedAt: Date;
  from: string;
  to: string;
  subject: string;
  attachments: MailAttachment[];
}

export interface MailMessage extends MailSummary {
  text: string;
}

/**
 * The sandbox's mailbox: a folder of .eml files, one per message the local SMTP server
 * received, written by the mail twin and read (parsed by mailparser) by the sandbox mail page.
 */
export class Mailbox {
  constructor(readonly dir: string) {}

  /** Keeps a received message; written under a temporary name first, so a reader never sees half of it. */
  async save(raw: Buffer, receivedAt = new Date()): Promise<string> {
    await fs.mkdir(this.dir, { recursive: true });
    const id = `${String(receivedAt.getTime()).padStart(15, '0')}-${randomBytes(4).toString('hex')}`;
    const file = path.join(this.dir, `${id}.eml`);
    await fs.writeFile(`${file}.part`, raw);
    await fs.rename(`${file}.part`, file);
    return id;
  }

  /** The newest messages first. */
  async list(limit = 100): Promise<MailSummary[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const ids = names
      .filter((n) => n.endsWith('.eml') && MESSAGE_ID.test(n.slice(0, -4)))
      .map((n) => n.slice(0, -4))
      .sort()
      .reverse()
      .slice(0, limit);
    const messages = await Promise.all(ids.map((id) => this.parse(id)));
    return messages.filter((m): m is Parsed => m !== null).map((m) => summary(m.id, m.mail));
  }

  /** One message with its text part, or null when there is none by that id. */
  async read(id: string): Promise<MailMessage | null> {
    const parsed = await this.parse(id);
    return parsed ? { ...summary(id, parsed.mail), text: parsed.mail.text ?? '' } : null;
  }

  /** One attachment's bytes (0-based, in the message's order), or null. */
  async attachment(id: string, index: number): Promise<(MailAttachment & { content: Buffer }) | null> {
    const a = (await this.parse(id))?.mail.attachments[index];
    return a ? { ...attachmentInfo(a), content: a.content } : null;
  }

  private async parse(id: string): Promise<Parsed | null> {
    if (!MESSAGE_ID.test(id)) return null;
    try {
      const raw = await fs.readFile(path.join(this.dir, `${id}.eml`));
      // mailparser only once someone opens the sandbox mailbox: the mail server and the web keep it out of memory until then.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { simpleParser } = require('mailparser') as typeof import('mailparser');
      return { id, mail: await simpleParser(raw) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
}

interface Parsed {
  id: string;
  mail: ParsedMail;
}

function addresses(a: AddressObject | AddressObject[] | undefined): string {
  return (Array.isArray(a) ? a : a ? [a] : []).map((x) => x.text).join(', ');
}

function attachmentInfo(a: ParsedMail['attachments'][number]): MailAttachment {
  return { filename: a.filename ?? 'attachment', contentType: a.contentType, size: a.size };
}

function summary(id: string, mail: ParsedMail): MailSummary {
  return {
    id,
    receivedAt: new Date(Number(MESSAGE_ID.exec(id)![1])),
    from: addresses(mail.from),
    to: addresses(mail.to),
    subject: mail.subject ?? '',
    attachments: mail.attachments.map(attachmentInfo),
  };
}
