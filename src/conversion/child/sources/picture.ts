import type { Mupdf } from '../mupdf';
import type { PageSource, Picture } from '../page-source';

/** A margin for pictures, which have none of their own. */
export const IMAGE_MARGIN_PT = (10 / 25.4) * 72;

export type MupdfImage = InstanceType<Mupdf['Image']>;

/** A decoded picture as a MuPDF image, to be drawn, scaled and turned grey like any other. */
export function pictureImage(mupdf: Mupdf, { width, height, channels, samples }: Picture): MupdfImage {
  const space = channels === 1 ? mupdf.ColorSpace.DeviceGray : mupdf.ColorSpace.DeviceRGB;
  const pixmap = new mupdf.Pixmap(space, [0, 0, width, height], false);
  try {
    const px = pixmap.getPixels();
    const stride = pixmap.getStride();
    const row = width * channels;
    if (stride === row) px.set(samples.subarray(0, row * height));
    else for (let y = 0; y < height; y++) px.set(samples.subarray(y * row, (y + 1) * row), y * stride);
    return new mupdf.Image(pixmap);
  } finally {
    pixmap.destroy();
  }
}

/** Draws an image (which fills the unit square) over the rectangle [x0, y0, x1, y1]. */
export function fillRect(mupdf: Mupdf, device: InstanceType<Mupdf['Device']>, image: MupdfImage, rect: number[], ctm: number[]): void {
  const [x0, y0, x1, y1] = rect;
  device.fillImage(image, mupdf.Matrix.concat([x1 - x0, 0, 0, y1 - y0, x0, y0], ctm as [number, number, number, number, number, number]), 1);
}

/** A decoded picture (WebP) as a one-page source, placed like any other picture. */
export function picturePages(mupdf: Mupdf, picture: Picture): PageSource {
  const image = pictureImage(mupdf, picture);
  const { width, height } = picture;
  return {
    count: 1,
    load: () => ({
      bounds: [0, 0, width, height],
      kind: 'image',
      marginPt: IMAGE_MARGIN_PT,
      pixels: { width, height },
      draw: (device, ctm) => fillRect(mupdf, device, image, [0, 0, width, height], ctm),
      destroy: () => undefined,
    }),
    close: () => image.destroy(),
  };
}
