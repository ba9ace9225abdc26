import type { Mupdf } from '../mupdf';
import type { GreyPicture, PageSource } from '../page-source';
import { IMAGE_MARGIN_PT } from './image';

export type MupdfImage = InstanceType<Mupdf['Image']>;

/** A decoded grey picture as a MuPDF image, to be drawn and scaled like any other. */
export function greyImage(mupdf: Mupdf, { width, height, grey }: GreyPicture): MupdfImage {
  const pixmap = new mupdf.Pixmap(mupdf.ColorSpace.DeviceGray, [0, 0, width, height], false);
  try {
    const px = pixmap.getPixels();
    const stride = pixmap.getStride();
    if (stride === width) px.set(grey.subarray(0, width * height));
    else for (let y = 0; y < height; y++) px.set(grey.subarray(y * width, (y + 1) * width), y * stride);
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

/** A decoded grey picture (WebP) as a one-page source, placed like any other picture. */
export function greyImagePages(mupdf: Mupdf, picture: GreyPicture): PageSource {
  const image = greyImage(mupdf, picture);
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
