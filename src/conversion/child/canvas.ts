import { FAX_WIDTH, type Paper } from '../raster/paper';
import type { Mupdf } from './mupdf';
import type { LoadedPage } from './page-source';

/**
 * Draws pages into one reusable grey canvas the size of a fax page (1728 × rows pixels at
 * 204 × 196 dpi) with MuPDF's anti-aliased renderer.
 */
export class FaxCanvas {
  private readonly pixmap: InstanceType<Mupdf['Pixmap']>;

  constructor(
    private readonly mupdf: Mupdf,
    readonly paper: Paper,
  ) {
    this.pixmap = new mupdf.Pixmap(mupdf.ColorSpace.DeviceGray, [0, 0, FAX_WIDTH, paper.rows], false);
    if (this.pixmap.getStride() !== FAX_WIDTH) throw new Error('unexpected canvas stride');
  }

  /**
   * Returns a view of the canvas inside MuPDF's memory, not a copy (4 MB a page): it is valid
   * only until the next call into MuPDF, which may grow and so move that memory.
   */
  draw(page: LoadedPage, matrix: number[]): Uint8Array {
    this.pixmap.clear(255);
    const device = new this.mupdf.DrawDevice(this.mupdf.Matrix.identity, this.pixmap);
    try {
      page.draw(device, matrix);
      device.close();
    } finally {
      device.destroy();
    }
    const pixels = this.pixmap.getPixels();
    return new Uint8Array(pixels.buffer, pixels.byteOffset, FAX_WIDTH * this.paper.rows);
  }

  destroy(): void {
    this.pixmap.destroy();
  }
}
