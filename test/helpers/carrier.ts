import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { PDFDocument } from 'pdf-lib';
import type { Carrier, CarrierEvent, CarrierFax, SendLedger } from '../../src/carrier/types';
import type { FaxSignals, SignalOutcome } from '../../src/web/fax-signals';

/** A PDF with `pages` blank A4 pages. */
export async function makePdf(pages: number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < pages; i++) doc.addPage([595, 842]).drawText(`Page ${i + 1}`, { x: 50, y: 780, size: 24 });
  return Buffer.from(await doc.save());
}

export interface MediaServer {
  url(path: string): string;
  hits(path: string): number;
  close(): Promise<void>;
}

/**
 * What the web tier's signed media links stand in for: `/doc-<n>.pdf` serves an n-page PDF,
 * `/missing.pdf` a 404, `/text.pdf` a text file, `/moved.pdf` a redirect, `/slow-<n>.pdf`
 * an n-page PDF after `slowMs`.
 */
export async function startMediaServer(slowMs = 400): Promise<MediaServer> {
  const pdfs = new Map<number, Buffer>();
  const pdf = async (n: number): Promise<Buffer> => {
    if (!pdfs.has(n)) pdfs.set(n, await makePdf(n));
    return pdfs.get(n)!;
  };
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://media').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const serve = async (): Promise<void> => {
      let m = /^\/doc-(\d+)\.pdf$/.exec(path);
      if (m) return void res.writeHead(200, { 'content-type': 'application/pdf' }).end(await pdf(Number(m[1])));
      m = /^\/slow-(\d+)\.pdf$/.exec(path);
      if (m) {
        await delay(slowMs);
        return void res.writeHead(200, { 'content-type': 'application/pdf' }).end(await pdf(Number(m[1])));
      }
      if (path === '/text.pdf') return void res.writeHead(200, { 'content-type': 'application/pdf' }).end('just some text');
      if (path === '/moved.pdf') return void res.writeHead(302, { location: '/doc-1.pdf' }).end();
      res.writeHead(404).end('not found');
    };
    serve().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    hits: (path) => hits.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The durable ledger the activities keep in PostgreSQL, in memory; can fail on `record` to simulate a crash. */
export class MemoryLedger implements SendLedger {
  readonly ids = new Map<string, string>();
  readonly starts = new Map<string, Date>();
  failRecords = 0;

  async recorded(faxId: string, attempt: number): Promise<string | null> {
    return this.ids.get(`${faxId}:${attempt}`) ?? null;
  }
  async submitting(faxId: string, attempt: number, at: Date): Promise<void> {
    if (!this.starts.has(`${faxId}:${attempt}`)) this.starts.set(`${faxId}:${attempt}`, at);
  }
  async submittingSince(faxId: string, attempt: number): Promise<Date | null> {
    return this.starts.get(`${faxId}:${attempt}`) ?? null;
  }
  async record(faxId: string, attempt: number, carrierFaxId: string): Promise<void> {
    if (this.failRecords > 0) {
      this.failRecords--;
      throw new Error('worker died before recording');
    }
    this.ids.set(`${faxId}:${attempt}`, carrierFaxId);
  }
}

/** Polls the carrier until the fax is delivered or failed. */
export async function waitForFinal(carrier: Carrier, id: string, timeoutMs = 15_000, seen?: string[]): Promise<CarrierFax> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const fax = await carrier.get(id);
    if (seen && seen[seen.length - 1] !== fax.status) seen.push(fax.status);
    if (fax.status === 'delivered' || fax.status === 'failed') return fax;
    if (Date.now() > until) throw new Error(`fax ${id} still ${fax.status} after ${timeoutMs} ms`);
    await delay(5);
  }
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await delay(10);
  }
}

/** FaxSignals that remembers what it was told; `failNext` makes the next calls throw (workflow unreachable). */
export class RecordingSignals implements FaxSignals {
  readonly events: Array<{ faxId: string; event: CarrierEvent }> = [];
  failNext = 0;

  async paymentAuthorized(): Promise<SignalOutcome> {
    throw new Error('not expected in carrier tests');
  }
  async carrierEvent(faxId: string, event: CarrierEvent): Promise<SignalOutcome> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('temporal unavailable');
    }
    this.events.push({ faxId, event });
    return 'delivered';
  }
}
