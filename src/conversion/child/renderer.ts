import { FAX_WIDTH, type Paper } from '../raster/paper';
import type { Mupdf } from './mupdf';
import type { LoadedPage } from './page-source';

/**
 * Draws pages into one reusable grey canvas the size of a fax page (1728 × rows pixels at
 * 204 × 196 dpi) with MuPDF's anti-aliased renderer, and returns a copy of the pixels
 * (MuPDF's memory may move when it grows, so views into it must not outlive a call).
 */
export class FaxRenderer {
  private readonly pixmap: InstanceType<Mupdf['Pixmap']>;

  constructor(
    private readonly mupdf: Mupdf,
    readonly paper: Paper,
  ) {
    this.pixmap = new mupdf.Pixmap(mupdf.ColorSpace.DeviceGray, [0, 0, FAX_WIDTH, paper.rows], false);
  }

  render(page: LoadedPage, matrix: number[]): Uint8Array {
    this.pixmap.clear(255);
    const device = new this.mupdf.DrawDevice(this.mupdf.Matrix.identity, this.pixmap);
    try {
      page.draw(device, matrix);
      device.close();
    } finally {
      device.destroy();
    }
    const pixels = this.pixmap.getPixels();
    if (this.pixmap.getStride() !== FAX_WIDTH) throw new Error('unexpected canvas stride');
    const copy = new Uint8Array(FAX_WIDTH * this.paper.rows);
    copy.set(pixels.subarray(0, copy.length));
    return copy;
  }

  destroy(): void {
    this.pixmap.destroy();
  }
}
