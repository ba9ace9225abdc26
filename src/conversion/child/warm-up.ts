import os from 'node:os';
import { DEFAULT_LIMITS } from '../limits';
import type { FinisherPool } from './finisher-pool';
import { runPipeline } from './pipeline';

/**
 * A small built-in PDF page: text in two fonts, a rule and a grey box, so a warm-up touches
 * every hot path (glyph rendering, anti-aliased edges, error diffusion, G4, PNG).
 */
function warmUpPdf(): Buffer {
  const content =
    'BT /F1 11 Tf 72 760 Td 14 TL (Warm-up page: the quick brown fox jumps over the lazy dog 0123456789.) Tj T* (Second line of text in a body font.) Tj ET ' +
    'BT /F2 18 Tf 72 800 Td (Heading) Tj ET 0.6 w 72 700 m 520 700 l S 0.5 g 72 450 300 200 re f';
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>',
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

/**
 * Converts the built-in page a few times, so the JavaScript and WebAssembly of a fresh
 * process are compiled and optimised before a real document arrives. No user data is
 * involved: the process stays a clean, single-use one.
 */
export async function warmUp(pool: FinisherPool): Promise<void> {
  const input = warmUpPdf();
  for (let i = 0; i < 2; i++) {
    await runPipeline(
      { input, type: 'pdf', paper: 'a4', cover: i === 0 ? { locale: 'en', subject: 'Warm-up' } : undefined, limits: DEFAULT_LIMITS, tmpDir: os.tmpdir(), soffice: null, frames: null },
      pool,
      () => undefined,
    );
  }
}
