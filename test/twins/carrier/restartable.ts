/** A carrier sandbox on a data folder it can be restarted on, and a client of it. */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCarrier } from '../../../src/carrier/telnyx-carrier';
import type { Carrier } from '../../../src/carrier/types';
import { startCarrierTwin, type CarrierTwin, type CarrierTwinOptions } from '../../../src/twins/carrier';
import { MemoryLedger, waitForFinal, type MediaServer } from '../../helpers/carrier';

export const KEY = 'KEY_JOURNAL_TEST';
export const JOURNAL = 'carrier-twin.journal';

export const carrierFor = (twin: CarrierTwin): Carrier =>
  createCarrier({ apiKey: KEY, connectionId: 'conn', publicKey: twin.publicKey, fromNumber: '+15005550006', apiBase: twin.url });

export async function restartable(extra: Partial<CarrierTwinOptions> = {}) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-carrier-journal-'));
  return {
    dataDir,
    file: path.join(dataDir, JOURNAL),
    start: () => startCarrierTwin({ port: 0, msPerPage: 5, apiKey: KEY, dataDir, ...extra }),
    cleanup: () => fs.rm(dataDir, { recursive: true, force: true }),
  };
}

export async function post(twin: CarrierTwin, body: object): Promise<{ status: number; id: string }> {
  const res = await fetch(`${twin.url}/v2/faxes`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as { data: { id: string } };
  return { status: res.status, id: json.data.id };
}

export async function sendAll(media: MediaServer, twin: CarrierTwin, count: number, to: string = '+493012345678'): Promise<string[]> {
  const carrier = carrierFor(twin);
  const sent = await Promise.all(
    Array.from({ length: count }, (_, i) => carrier.sendOnce({ faxId: randomUUID(), attempt: 1, to, mediaUrl: media.url(`/doc-${1 + (i % 3)}.pdf`) }, new MemoryLedger())),
  );
  await Promise.all(sent.map((f) => waitForFinal(carrier, f.id)));
  return sent.map((f) => f.id);
}
