/**
 * Converts a document with a marker through the pipeline as a conversion process does, ends it
 * as the process does, and reads what the instance it used and the next document's instance
 * hold; then opens the document in one MuPDF instance, makes a second instance the way each
 * document gets one, and prints as JSON what each instance's memory holds and whether the
 * second has the whole API of the mupdf module. In a child process, because MuPDF cannot load
 * inside jest files:
 *   node -r src/conversion/child/register-ts.js mupdf-instances-child.ts
 */
import { documentDone } from '../../../src/conversion/child/main';
import { loadMupdf, mupdfMemory, newMupdf } from '../../../src/conversion/child/mupdf';
import { runPipeline } from '../../../src/conversion/child/pipeline';
import { ThreadPool } from '../../../src/conversion/child/thread-pool';
import { DEFAULT_LIMITS } from '../../../src/conversion/limits';

const MARKER = 'DURAFAX-MARKER-7Q4Z-NOT-IN-THE-NEXT-INSTANCE';

/** A one-page PDF whose uncompressed content shows the marker (its bytes stay in MuPDF's memory). */
function markedPdf(): Buffer {
  const content = `BT /F1 12 Tf 72 720 Td (${MARKER}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const holds = (memory: ArrayBuffer): boolean => Buffer.from(memory).includes(MARKER, 0, 'latin1');

/** The pipeline as a conversion process runs a document, then what the next document's instance holds. */
async function pipeline(): Promise<{ pages: number; documentHolds: boolean; nextHolds: boolean; sameMemory: boolean }> {
  const threads = new ThreadPool(0);
  const job = { input: markedPdf(), type: 'pdf' as const, paper: 'a4' as const, limits: DEFAULT_LIMITS, tmpDir: null, soffice: null, frames: null };
  const result = await runPipeline(job, threads, () => undefined);
  // The instance the document was converted with, before the process is done with it.
  const used = mupdfMemory(await loadMupdf());
  documentDone(threads);
  const next = mupdfMemory(await loadMupdf());
  return { pages: result.pages, documentHolds: holds(used), nextHolds: holds(next), sameMemory: used === next };
}

async function main(): Promise<void> {
  const converted = await pipeline();
  const first = await newMupdf();
  const doc = first.Document.openDocument(markedPdf(), 'application/pdf');
  const text = doc.loadPage(0).toStructuredText('preserve-whitespace').asText();
  const second = await newMupdf();
  const module = (await import('mupdf')) as Record<string, unknown>;
  process.stdout.write(
    JSON.stringify({
      firstRead: text.includes(MARKER),
      firstHolds: holds(mupdfMemory(first)),
      secondHolds: holds(mupdfMemory(second)),
      sameMemory: mupdfMemory(first) === mupdfMemory(second),
      missing: Object.keys(module).filter((name) => !(name in second)),
      secondWorks: second.Document.openDocument(markedPdf(), 'application/pdf').countPages(),
      converted,
    }),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
