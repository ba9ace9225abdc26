/**
 * Codes a page's G4 image with its lower half made by a rendering thread (ThreadPool'
 * helper, as a one-page document's conversion does) and prints, as JSON, whether the joined
 * code is the same as the page coded in one go on this thread. In a child process, because
 * rendering threads load MuPDF, which cannot load inside jest files:
 *   node -r src/conversion/child/register-ts.js g4-helper-child.ts
 */
import { ThreadPool } from '../../../src/conversion/child/thread-pool';
import { createBitmap } from '../../../src/conversion/raster/bitmap';
import { encodeG4, encodeG4Rows, joinG4 } from '../../../src/conversion/raster/kernels';

async function main(): Promise<void> {
  const threads = new ThreadPool(1);
  await threads.start();
  const helper = threads.g4Helper();
  if (!helper) throw new Error('no helper thread');
  const bitmap = createBitmap(1728, 401);
  let s = 7;
  for (let i = 0; i < bitmap.data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // Runs of white and noise, like a scanned page.
    bitmap.data[i] = (i >> 9) % 3 === 0 ? 0 : s >>> 24;
  }
  const { rowBytes, data } = bitmap;
  const upper = 200;
  const lower = await helper(data.slice(upper * rowBytes), data.slice((upper - 1) * rowBytes, upper * rowBytes), 1728, 401 - upper);
  const joined = joinG4(encodeG4Rows(data.subarray(0, upper * rowBytes), 1728, upper, null, false), lower);
  const whole = encodeG4(bitmap);
  process.stdout.write(JSON.stringify({ same: Buffer.from(joined).equals(Buffer.from(whole)), bytes: whole.length }));
  await threads.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
