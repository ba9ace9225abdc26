/**
 * Makes test files that need MuPDF or libwebp (both ESM-only, so not loadable inside jest test
 * files) and reads back PDFs with MuPDF as an independent decoder. Run in a child process by
 * corpus.ts: node -r src/conversion/child/register-ts.js corpus-child.ts <command> <args…>
 */
import fs from 'node:fs';
import { patternPixels } from './pattern';

type Mupdf = typeof import('mupdf', { with: { 'resolution-mode': 'import' } });

function patternPixmap(mupdf: Mupdf, width: number, height: number, alpha: boolean): InstanceType<Mupdf['Pixmap']> {
  const grey = patternPixels(width, height);
  const pixmap = new mupdf.Pixmap(mupdf.ColorSpace.DeviceRGB, [0, 0, width, height], alpha);
  const px = pixmap.getPixels();
  const n = alpha ? 4 : 3;
  const stride = pixmap.getStride();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = grey[y * width + x];
      // With alpha, the left tenth is fully transparent (it must come out white, not black).
      const transparent = alpha && x < width / 10;
      const o = y * stride + x * n;
      px[o] = transparent ? 0 : v;
      px[o + 1] = transparent ? 0 : v;
      px[o + 2] = transparent ? 0 : v;
      if (alpha) px[o + 3] = transparent ? 0 : 255;
    }
  }
  return pixmap;
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const mupdf: Mupdf = await import('mupdf');
  switch (command) {
    case 'png': {
      const [out, w, h, alpha] = args;
      fs.writeFileSync(out, patternPixmap(mupdf, Number(w), Number(h), alpha === 'alpha').asPNG());
      break;
    }
    case 'jpeg': {
      const [out, w, h] = args;
      fs.writeFileSync(out, patternPixmap(mupdf, Number(w), Number(h), false).asJPEG(90));
      break;
    }
    case 'webp': {
      const [out, w, h] = args;
      const width = Number(w);
      const height = Number(h);
      const grey = patternPixels(width, height);
      const rgba = new Uint8ClampedArray(width * height * 4);
      for (let i = 0; i < grey.length; i++) rgba.set([grey[i], grey[i], grey[i], 255], i * 4);
      const codec = await import('@jsquash/webp/encode.js');
      const wasmBinary = fs.readFileSync(require.resolve('@jsquash/webp/codec/enc/webp_enc.wasm'));
      await codec.init({ wasmBinary } as Parameters<typeof codec.init>[0]);
      const image = { width, height, data: rgba, colorSpace: 'srgb' } as unknown as Parameters<typeof codec.default>[0];
      fs.writeFileSync(out, Buffer.from(await codec.default(image, { quality: 95, lossless: 1 })));
      break;
    }
    case 'encrypt-pdf': {
      const [input, out] = args;
      const doc = new mupdf.PDFDocument(fs.readFileSync(input));
      fs.writeFileSync(out, doc.saveToBuffer('encrypt=aes-256,user-password=secret,owner-password=owner').asUint8Array());
      break;
    }
    case 'render-pdf': {
      // Each page at 1728 px across as 1 bit (grey < 128 is black), packed like FaxBitmap, in one file.
      const [input, out] = args;
      const doc = mupdf.Document.openDocument(fs.readFileSync(input), 'application/pdf');
      const pages: Array<{ width: number; height: number; data: string }> = [];
      for (let i = 0; i < doc.countPages(); i++) {
        const page = doc.loadPage(i);
        const [x0, y0, x1, y1] = page.getBounds();
        const rows = Number(args[2]);
        const pixmap = page.toPixmap([1728 / (x1 - x0), 0, 0, rows / (y1 - y0), 0, 0], mupdf.ColorSpace.DeviceGray, false);
        const px = pixmap.getPixels();
        const stride = pixmap.getStride();
        const rowBytes = 216;
        const data = new Uint8Array(rowBytes * rows);
        for (let y = 0; y < Math.min(rows, pixmap.getHeight()); y++)
          for (let x = 0; x < Math.min(1728, pixmap.getWidth()); x++) if (px[y * stride + x] < 128) data[y * rowBytes + (x >> 3)] |= 0x80 >> (x & 7);
        pages.push({ width: pixmap.getWidth(), height: pixmap.getHeight(), data: Buffer.from(data).toString('base64') });
      }
      fs.writeFileSync(out, JSON.stringify(pages));
      break;
    }
    default:
      throw new Error(`unknown command ${command}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
