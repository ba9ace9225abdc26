import type { PDFDocument as PdfDocument } from 'pdf-lib';

/** Telnyx's documented limits for fax media. */
const MAX_MEDIA_BYTES = 50 * 1024 * 1024;
const MAX_PAGES = 350;
const FETCH_TIMEOUT_MS = 30_000;

// pdf-lib (with its inflate and PNG code, about 5 MB of heap) is loaded by the first fax, not
// by `durafax start`, which holds this sandbox while it waits.
function loadPdfDocument(): typeof PdfDocument {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('pdf-lib') as typeof import('pdf-lib')).PDFDocument;
}

export type MediaResult = { ok: true; pages: number } | { ok: false; failureReason: string };

async function readLimited(res: Response, limit: number): Promise<Buffer | null> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > limit) return null;
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) return null;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/**
 * Downloads a fax document the way Telnyx does: one GET, only a 2xx counts (redirects
 * are failures), PDF only, and the page count read from the document.
 */
export async function fetchMedia(url: string, signal: AbortSignal): Promise<MediaResult> {
  let bytes: Buffer | null;
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.any([signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]) });
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel();
      return { ok: false, failureReason: 'file_download_failed' };
    }
    bytes = await readLimited(res, MAX_MEDIA_BYTES);
  } catch (err) {
    if (signal.aborted) throw err;
    return { ok: false, failureReason: 'file_download_failed' };
  }
  if (!bytes) return { ok: false, failureReason: 'file_size_limit_exceeded' };
  if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-') return { ok: false, failureReason: 'file_format_invalid' };
  let pages: number;
  try {
    pages = (await loadPdfDocument().load(bytes, { updateMetadata: false })).getPageCount();
  } catch {
    return { ok: false, failureReason: 'file_format_invalid' };
  }
  if (pages < 1) return { ok: false, failureReason: 'file_format_invalid' };
  if (pages > MAX_PAGES) return { ok: false, failureReason: 'page_count_limit_exceeded' };
  return { ok: true, pages };
}
