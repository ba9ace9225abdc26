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
