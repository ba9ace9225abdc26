import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { formatBytes } from '../conversion/limits';
import { HttpProblem } from './errors';

export interface UploadedFile {
  field: string;
  filename: string;
  data: Buffer;
}

export interface MultipartResult {
  fields: Record<string, string>;
  files: UploadedFile[];
}

export interface MultipartLimits {
  fileBytes: number;
  files: number;
  fields: number;
  fieldBytes: number;
}

/**
 * Reads a multipart/form-data request while it streams. A file over the limit stops the
 * read at once (413); nothing is written anywhere until the whole request was accepted.
 */
export function readMultipart(req: IncomingMessage, limits: MultipartLimits): Promise<MultipartResult> {
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
    let failed = false;
    const fail = (problem: HttpProblem): void => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      // Discard the rest of the body so the client can read the answer.
      req.resume();
      reject(problem);
    };
    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(new HttpProblem(400, 'invalid_request', { detail: name }));
      else fields[name] = value;
    });
    bb.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => fail(tooLarge()));
      stream.on('end', () => {
        if (!failed) files.push({ field, filename: info.filename ?? '', data: Buffer.concat(chunks) });
      });
    });
    bb.on('filesLimit', () => fail(new HttpProblem(400, 'invalid_request', { detail: 'one document per fax' })));
    bb.on('fieldsLimit', () => fail(new HttpProblem(400, 'invalid_request', { detail: 'too many fields' })));
    bb.on('partsLimit', () => fail(new HttpProblem(400, 'invalid_request', { detail: 'too many parts' })));
    bb.on('error', () => fail(new HttpProblem(400, 'invalid_request', { detail: 'multipart/form-data' })));
    bb.on('close', () => {
      if (!failed) resolve({ fields, files });
    });
    req.on('aborted', () => fail(new HttpProblem(400, 'invalid_request', { detail: 'upload interrupted' })));
    req.pipe(bb);
  });
}
