/**
 * Renders the one page of a JPEG twice, decoded by libjpeg-turbo (sharp, as conversions do) and
 * by MuPDF, and writes both G4 encodings (base64) as JSON. In a child process, because MuPDF and
 * the dynamic import of sharp cannot load inside jest test files:
 *   node -r src/conversion/child/register-ts.js decoder-child.ts <jpeg> <out.json>
 */
import fs from 'node:fs';
import { loadMupdf } from '../../../src/conversion/child/mupdf';
import { PageRenderer } from '../../../src/conversion/child/page-renderer';
import { specFor } from '../../../src/conversion/child/source-spec';
import { decodeJpeg } from '../../../src/conversion/child/sources/jpeg';
import { DEFAULT_LIMITS } from '../../../src/conversion/limits';

async function main(): Promise<void> {
  const [input, out] = process.argv.slice(2);
  const data = fs.readFileSync(input);
  const mupdf = await loadMupdf();
  const spec = await specFor({ input: data, type: 'jpeg', paper: 'a4', limits: DEFAULT_LIMITS, tmpDir: null, soffice: null, frames: null });
  if (spec.kind !== 'image') throw new Error(`unexpected spec ${spec.kind}`);
  const render = async (decoded: boolean): Promise<string> => {
    const renderer = new PageRenderer(mupdf, { spec: { ...spec, decoded: decoded ? spec.decoded : undefined }, paper: 'a4', maxPixelsPerPage: DEFAULT_LIMITS.maxPixelsPerPage });
    try {
      return Buffer.from((await renderer.render(0)).output.g4).toString('base64');
    } finally {
      renderer.destroy();
    }
  };
  const garbage = await decodeJpeg(Buffer.from('not a JPEG at all'), DEFAULT_LIMITS.maxPixelsPerPage);
  fs.writeFileSync(out, JSON.stringify({ decodedBySharp: spec.decoded !== undefined, sharp: await render(true), mupdf: await render(false), garbage }));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
