import { parentPort } from 'node:worker_threads';
import { finishPage } from '../raster/fax-page';
import type { FinishRequest, FinishResponse } from './finisher-pool';

/**
 * Worker thread of FinisherPool: turns rendered grey pages into the 1-bit bitmap and its
 * encodings while the main thread renders the next page with MuPDF.
 */
parentPort?.on('message', (req: FinishRequest) => {
  let res: FinishResponse;
  try {
    res = { id: req.id, output: finishPage(new Uint8Array(req.grey), req.rows) };
  } catch (err) {
    res = { id: req.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  parentPort?.postMessage(res);
});
