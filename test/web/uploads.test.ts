import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { LARGE_OBJECT_WRITE_BYTES, PostgresDocumentStore, type StreamedFile } from '../../src/db/document-store';
import { createWebHarness, type WebHarness } from './harness';

/** What PostgreSQL holds for a fax's upload, or null. */
async function storedUpload(h: WebHarness, faxId: string): Promise<{ size: number; sha256: string; data: Buffer } | null> {
  const rows: Array<{ size: number; sha256: string; data: Buffer }> = await h.t.db.query(
    `SELECT size, sha256, data FROM document WHERE fax_id = $1 AND kind = 'original' AND page = 0`,
    [faxId],
  );
  return rows[0] ?? null;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * A streamed file that hands out every chunk in one buffer, overwritten for the next one, as a
 * spool is read; `chunkBytes` may exceed what the store sends in one write.
 */
function reusedBuffer(data: Buffer, chunkBytes: number, declaredSize = data.length): StreamedFile {
  return {
    size: declaredSize,
    sha256: sha256(data),
    chunks: async function* () {
      const buffer = Buffer.alloc(chunkBytes);
      for (let at = 0; at < data.length; at += chunkBytes) {
        const n = data.copy(buffer, 0, at, at + chunkBytes);
        yield buffer.subarray(0, n);
        // What a reader still holding the chunk would now see.
        buffer.fill(0xee);
      }
    },
  };
}

describe('uploads are stored whole', () => {
  let h: WebHarness;
  beforeAll(async () => {
    h = await createWebHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  test('uploads of many chunks, several at once, are each stored byte for byte', async () => {
    // Each spans several reads of its spool and ends in a partial one.
    const documents = [0, 1, 2, 3].map((i) => randomBytes(3 * LARGE_OBJECT_WRITE_BYTES + 1000 + i * 777));
    const answers = await Promise.all(documents.map((doc, i) => h.api().post('/api/faxes').field('to', '+49 30 1234567').attach('document', doc, `letter-${i}.pdf`)));
    for (const [i, res] of answers.entries()) {
      expect(res.status).toBe(201);
      const stored = await storedUpload(h, res.body.id as string);
      expect(stored?.size).toBe(documents[i].length);
      expect(stored?.sha256).toBe(sha256(documents[i]));
      expect(stored?.data.equals(documents[i])).toBe(true);
    }
  });

  test('a file read into one reused buffer, in chunks larger than one write, is stored as it was read', async () => {
    const { fax } = await h.insertFax();
    const data = randomBytes(2 * LARGE_OBJECT_WRITE_BYTES + LARGE_OBJECT_WRITE_BYTES / 2 + 3);
    const store = new PostgresDocumentStore(h.t.db);
    await store.put({ faxId: fax.id, kind: 'original', contentType: 'application/pdf', data: reusedBuffer(data, LARGE_OBJECT_WRITE_BYTES * 2 + 1) });
    const stored = await storedUpload(h, fax.id);
    expect(stored?.data.equals(data)).toBe(true);
    expect(stored?.size).toBe(data.length);
  });

  test('a file that gives fewer or more bytes than its size is not stored', async () => {
    const { fax } = await h.insertFax();
    const store = new PostgresDocumentStore(h.t.db);
    const data = randomBytes(LARGE_OBJECT_WRITE_BYTES + 10);
    const put = (declared: number): Promise<string> => store.put({ faxId: fax.id, kind: 'original', contentType: 'application/pdf', data: reusedBuffer(data, 4096, declared) });
    await expect(put(data.length + 1)).rejects.toThrow(`document of ${data.length + 1} bytes gave ${data.length}`);
    await expect(put(data.length - 1)).rejects.toThrow(`document of ${data.length - 1} bytes gave ${data.length}`);
    expect(await storedUpload(h, fax.id)).toBeNull();
    // Nor is a large object left behind by the transaction that failed.
    const [{ count }]: Array<{ count: string }> = await h.t.db.query('SELECT count(*) AS count FROM pg_largeobject_metadata');
    expect(Number(count)).toBe(0);
  });
});

/**
 * A client in a process of its own: sends `count` uploads of `mb` MB at once, each written in
 * one go, and prints each answer (status 0 and the error's code when the connection broke first).
 */
const CLIENT = String.raw`
const http = require('node:http');
const [port, count, mb] = process.argv.slice(1).map(Number);
const boundary = 'xxUPLOADSxx';
const head = '--' + boundary + '\r\nContent-Disposition: form-data; name="to"\r\n\r\n+49 30 1234567\r\n--' + boundary +
  '\r\nContent-Disposition: form-data; name="document"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n';
const document = Buffer.alloc(mb * 1024 * 1024, 7);
const answers = Array.from({ length: count }, () => new Promise((resolve) => {
  const tail = '\r\n--' + boundary + '--\r\n';
  const length = Buffer.byteLength(head) + document.length + Buffer.byteLength(tail);
  const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/api/faxes', headers: { 'Content-Type': 'multipart/form-data; boundary=' + boundary, 'Content-Length': length, 'Accept-Language': 'de' } });
  req.on('response', (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (body += c));
    res.on('end', () => resolve({ status: res.statusCode, retryAfter: res.headers['retry-after'], body }));
    res.on('error', (err) => resolve({ status: 0, error: err.code }));
  });
  req.on('error', (err) => resolve({ status: 0, error: err.code }));
  req.write(head);
  req.write(document);
  req.end(tail);
}));
Promise.all(answers).then((a) => process.stdout.write(JSON.stringify(a)));
`;

/**
 * Serves the app, and freezes the client's process as its request arrives until 300 ms after
 * the answer went out: it reads the answer only then, as a busy client would, with the rest of
 * its document still to send. Runs CLIENT with one upload of `mb` MB and returns its answer,
 * once the web has closed the connection, having read at most a quarter of the document.
 */
async function answerReadLate(
  h: WebHarness,
  mb: number,
  before?: (port: number) => Promise<void>,
): Promise<{ status: number; retryAfter?: string; body?: string; error?: string }> {
  let client: ChildProcess | undefined;
  const resume = (): void => {
    if (client?.pid && client.exitCode === null) process.kill(client.pid, 'SIGCONT');
  };
  const app = h.app.callback();
  let bodyRead = 0;
  const server = http.createServer((req, res) => {
    if (client?.pid) {
      process.kill(client.pid, 'SIGSTOP');
      res.once('finish', () => setTimeout(resume, 300));
      req.socket.once('close', () => (bodyRead = req.socket.bytesRead));
    }
    void app(req, res);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  try {
    await before?.(port);
    client = spawn(process.execPath, ['-e', CLIENT, String(port), '1', String(mb)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    client.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((r) => client?.once('exit', r));
    const answers = JSON.parse(out) as Array<{ status: number; retryAfter?: string; body?: string; error?: string }>;
    expect(answers).toHaveLength(1);
    // The refused document was left in the kernel's buffers, not read into this process.
    expect(bodyRead).toBeGreaterThan(0);
    expect(bodyRead).toBeLessThan(mb * 1024 * 1024 * 0.25);
    return answers[0];
  } finally {
    resume();
    client?.kill();
    server.close();
    server.closeAllConnections();
  }
}

describe('refusals of uploads still being sent', () => {
  test('past the admission limit: the 503 with Retry-After reaches a client that reads it late', async () => {
    const h = await createWebHarness({ MAX_CONCURRENT_UPLOADS: '1' });
    let holder: http.ClientRequest | undefined;
    try {
      const answer = await answerReadLate(h, 8, async (port) => {
        // An upload that takes the one place and waits inside it for the rest of its body.
        holder = http.request({
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/api/faxes',
          headers: { 'Content-Type': 'multipart/form-data; boundary=x', 'Transfer-Encoding': 'chunked' },
        });
        holder.on('error', () => undefined);
        holder.write('--x\r\n');
        await new Promise((r) => setTimeout(r, 300));
      });
      expect(answer).toEqual({ status: 503, retryAfter: '5', body: expect.any(String) });
      expect(JSON.parse(answer.body ?? '')).toEqual({ error: { code: 'service_unavailable', message: expect.stringContaining('Gerade werden sehr viele Dokumente hochgeladen') } });
    } finally {
      holder?.destroy();
      await h.close();
    }
  });

  test('past the size limit (declared): the 413 reaches a client that reads it late', async () => {
    const h = await createWebHarness({ MAX_UPLOAD_BYTES: String(256 * 1024) });
    try {
      const answer = await answerReadLate(h, 8);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body ?? '')).toEqual({ error: { code: 'upload_too_large', message: 'Die Datei ist zu groß. Die Grenze liegt bei 256 KB.', field: 'document' } });
    } finally {
      await h.close();
    }
  });
});
