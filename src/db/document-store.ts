import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { DocumentRow, type DocumentKind } from './entities/document';

export interface StoredDocumentInfo {
  id: string;
  faxId: string;
  kind: DocumentKind;
  page: number;
  contentType: string;
  size: number;
  sha256: string;
  purgedAt: Date | null;
}

export interface StoredDocument extends StoredDocumentInfo {
  data: Buffer;
}

/** A file too large to hold in memory at once (an upload spooled to disk): read a chunk at a time. */
export interface StreamedFile {
  size: number;
  /** SHA-256 of the bytes, hex. */
  sha256: string;
  /**
   * The bytes in order. A chunk may be overwritten once the next one is asked for (a spool
   * is read into one buffer again and again), so a reader that keeps one must copy it.
   */
  chunks(): AsyncIterable<Buffer>;
}

export interface PutDocument {
  faxId: string;
  kind: DocumentKind;
  /** 1-based page for per-page files, 0 (default) for a whole document. */
  page?: number;
  contentType: string;
  data: Buffer | StreamedFile;
}

/**
 * Where fax files live, so workers on other machines can read them. PostgreSQL by default;
 * an object store can implement the same interface.
 */
export interface DocumentStore {
  /**
   * Stores (or replaces) the file for (fax, kind, page); returns its id. Idempotent. With `tx`
   * the file is written in that transaction (the fax's row and its upload commit together).
   */
  put(doc: PutDocument, tx?: EntityManager): Promise<string>;
  get(id: string): Promise<StoredDocument | null>;
  find(faxId: string, kind: DocumentKind, page?: number): Promise<StoredDocument | null>;
  list(faxId: string): Promise<StoredDocumentInfo[]>;
  /** Deletes the bytes of every file of the fax, keeping the rows; returns how many were purged. */
  purge(faxId: string): Promise<number>;
}

const INFO_COLUMNS = ['id', 'faxId', 'kind', 'page', 'contentType', 'size', 'sha256', 'purgedAt'] as const;

/**
 * The most sent to PostgreSQL in one `lo_put`. The pg client copies a parameter twice while
 * it frames the message, so this bounds those copies whatever the source's chunks are (a
 * document sent again is one buffer of up to 20 MB); under glibc's 128 KiB mmap threshold,
 * they are carved from memory the process already has. 160 round trips for a 10 MB upload.
 */
export const LARGE_OBJECT_WRITE_BYTES = 64 * 1024;

/** Whole chunks cut to at most `max` bytes each, without copying. */
function* pieces(chunk: Buffer, max: number): Iterable<Buffer> {
  for (let at = 0; at < chunk.length; at += max) yield chunk.subarray(at, at + max);
}

export class PostgresDocumentStore implements DocumentStore {
  constructor(private readonly db: DataSource) {}

  async put(doc: PutDocument, tx?: EntityManager): Promise<string> {
    const { data } = doc;
    if (Buffer.isBuffer(data)) return this.insert(tx ?? this.db.manager, doc, data.length, createHash('sha256').update(data).digest('hex'), '$7', data);
    if (!tx) return this.db.transaction((t) => this.put(doc, t));
    // Streamed into a large object a chunk at a time, then copied into the row by the
    // server: no process holds the whole file (uploads are up to 20 MB, and many at once).
    // Each chunk is sent before the next is read, as StreamedFile requires.
    const [{ oid }]: Array<{ oid: number }> = await tx.query('SELECT lo_create(0) AS oid');
    let offset = 0;
    for await (const chunk of data.chunks()) {
      for (const piece of pieces(chunk, LARGE_OBJECT_WRITE_BYTES)) {
        await tx.query('SELECT lo_put($1, $2, $3)', [oid, offset, piece]);
        offset += piece.length;
      }
    }
    // A source that ended early (or grew) must not become a stored document: the transaction
    // fails and the fax with it.
    if (offset !== data.size) throw new Error(`document of ${data.size} bytes gave ${offset}`);
    const id = await this.insert(tx, doc, data.size, data.sha256, 'lo_get($7)', oid);
    await tx.query('SELECT lo_unlink($1)', [oid]);
    return id;
  }

  private async insert(db: EntityManager, doc: PutDocument, size: number, sha256: string, dataSql: string, data: Buffer | number): Promise<string> {
    const rows: Array<{ id: string }> = await db.query(
      `INSERT INTO document (fax_id, kind, page, content_type, size, sha256, data)
       VALUES ($1, $2, $3, $4, $5, $6, ${dataSql})
       ON CONFLICT (fax_id, kind, page) DO UPDATE
         SET content_type = EXCLUDED.content_type, size = EXCLUDED.size, sha256 = EXCLUDED.sha256,
             data = EXCLUDED.data, purged_at = NULL
       RETURNING id`,
      [doc.faxId, doc.kind, doc.page ?? 0, doc.contentType, size, sha256, data],
    );
    return rows[0].id;
  }

  async get(id: string): Promise<StoredDocument | null> {
    return this.withData({ id });
  }

  async find(faxId: string, kind: DocumentKind, page = 0): Promise<StoredDocument | null> {
    return this.withData({ faxId, kind, page });
  }

  async list(faxId: string): Promise<StoredDocumentInfo[]> {
    return this.db.getRepository(DocumentRow).find({
      select: [...INFO_COLUMNS],
      where: { faxId },
      order: { kind: 'ASC', page: 'ASC' },
    });
  }

  async purge(faxId: string): Promise<number> {
    const result = await this.db
      .createQueryBuilder()
      .update(DocumentRow)
      .set({ data: null, purgedAt: () => 'now()' })
      .where('fax_id = :faxId AND data IS NOT NULL', { faxId })
      .execute();
    return result.affected ?? 0;
  }

  private async withData(where: Partial<Pick<DocumentRow, 'id' | 'faxId' | 'kind' | 'page'>>): Promise<StoredDocument | null> {
    const row = await this.db.getRepository(DocumentRow).findOne({ select: [...INFO_COLUMNS, 'data'], where });
    if (!row || !row.data) return null;
    return { ...row, data: row.data };
  }
}
