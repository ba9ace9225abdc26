import busboy from 'busboy';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatBytes } from '../conversion/limits';
import { LARGE_OBJECT_WRITE_BYTES, type StreamedFile } from '../db/document-store';
import { HttpProblem } from './errors';

/** An uploaded file, spooled to a temporary file while it arrived: never held in memory whole. */
export interface UploadedFile extends StreamedFile {
  field: string;
  filename: string;
}

export interface MultipartResult {
  fields: Record<string, string>;
  files: UploadedFile[];
  /** Deletes the spooled files; call it once the request is answered. */
  discard(): Promise<void>;
}

export interface MultipartLimits {
  fileBytes: number;
  files: number;
  fields: number;
  fieldBytes: number;
  /** The longest pause between two pieces of the body before the upload is given up (408). */
  idleMs: number;
}

/** An upload's spool folder in the temporary folder. */
export const SPOOL_PREFIX = 'durafax-upload-';

/** What one read of a spool takes: the store's write size, so each read is one write. */
const CHUNK_BYTES = LARGE_OBJECT_WRITE_BYTES;

/**
 * A spool's bytes, read again and again into one buffer: a stream would allocate a new
 * buffer for every chunk, garbage that many uploads stored at once pile up faster than the
 * young generation is collected. Each chunk is overwritten by the next (StreamedFile says so).
 */
async function* readSpool(file: string): AsyncGenerator<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

function spooled(field: string, filename: string, file: string, size: number, sha256: string): UploadedFile {
  return { field, filename, size, sha256, chunks: () => readSpool(file) };
}

/**
 * Reads a multipart/form-data request while it streams, each file into a temporary file
 * (readable by this process only) with its size and SHA-256 counted on the way. A file over
 * the limit stops the read at once (413), and so does a pause longer than `idleMs` (408);
 * then the temporary files are gone before the promise settles. Nothing is written to the
 * database here.
 */
export async function readMultipart(req: IncomingMessage, limits: MultipartLimits): Promise<MultipartResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), SPOOL_PREFIX));
  const discard = (): Promise<void> => fs.rm(dir, { recursive: true, force: true });
  try {
    return { ...(await parse(req, limits, dir)), discard };
  } catch (err) {
    await discard();
    throw err;
  }
}

function parse(req: IncomingMessage, limits: MultipartLimits, dir: string): Promise<Omit<MultipartResult, 'discard'>> {
  const tooLarge = (): HttpProblem => new HttpProblem(413, 'upload_too_large', { limit: formatBytes(limits.fileBytes) }, { headers: { Connection: 'close' }, field: 'document' });
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { fileSize: limits.fileBytes, files: limits.files, fields: limits.fields, fieldSize: limits.fieldBytes, parts: limits.files + limits.fields },
      });
    } catch {
      reject(new HttpProblem(400, 'invalid_request', { detail: 'multipart/form-data' }));
      return;
    }
    const fields: Record<string, string> = {};
    const files: UploadedFile[] = [];
    const writes: Array<Promise<void>> = [];
    const streams: Readable[] = [];
    let failed = false;
    let idle: NodeJS.Timeout | undefined;
    const fail = (problem: HttpProblem): void => {
      if (failed) return;
      failed = true;
      clearTimeout(idle);
      req.unpipe(bb);
      // Discard the rest of the body so the client can read the answer.
      req.resume();
      // Ends the files being written (with an error: a plain destroy of busboy's stream leaves
      // the pipeline waiting), so their folder can go once they are closed.
      for (const stream of streams) stream.destroy(new Error('upload refused'));
      void Promise.allSettled(writes).then(() => reject(problem));
    };
    const stillArriving = (): void => {
      if (failed) return;
      clearTimeout(idle);
      idle = setTimeout(() => fail(new HttpProblem(408, 'upload_timeout', {}, { headers: { Connection: 'close' }, field: 'document' })), limits.idleMs);
    };
    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(new HttpProblem(400, 'invalid_request', { detail: name }));
      else fields[name] = value;
    });
    bb.on('file', (field, stream, info) => {
      const file = path.join(dir, `file-${writes.length}`);
      const hash = createHash('sha256');
      let size = 0;
      streams.push(stream);
      stream.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
      });
      stream.on('limit', () => fail(tooLarge()));
      writes.push(
        pipeline(stream, createWriteStream(file, { mode: 0o600 })).then(
          () => {
            if (!failed) files.push(spooled(field, info.filename ?? '', file, size, hash.digest('hex')));
          },
          () => fail(new HttpProblem(400, 'invalid_request', { detail: 'upload interrupted' })),
        ),
      );
    });
    bb.on('filesLimit', () => fail(new HttpProblem(400, 'invalid_request', { detail: 'one document per fax' })));
    bb.on('fieldsLimit', () => fail(new HttpProblem(400, 'invalid_request', { detail: 'too many fields' })));
    bb.on('partsLimit', () => fail(new HttpProblem(400, 'invalid_request', { detail: 'too many parts' })));
    bb.on('error', () => fail(new HttpProblem(400, 'invalid_request', { detail: 'multipart/form-data' })));
    bb.on('close', () => {
      clearTimeout(idle);
      // Every file is on disk before the upload counts as read.
      void Promise.all(writes).then(() => {
        if (!failed) resolve({ fields, files });
      });
    });
    req.on('data', stillArriving);
    req.on('aborted', () => fail(new HttpProblem(400, 'invalid_request', { detail: 'upload interrupted' })));
    stillArriving();
    req.pipe(bb);
  });
}
