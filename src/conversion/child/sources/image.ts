import type { ImageFrame } from '../../formats/image-header';
import type { ImageType } from '../../formats/source-type';
import { asConversionError } from '../errors';
import type { Mupdf } from '../mupdf';
import type { PageSource, Picture } from '../page-source';
import { fillRect, IMAGE_MARGIN_PT, pictureImage, type MupdfImage } from './picture';

const MIME: Record<Exclude<ImageType, 'webp'>, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  tiff: 'image/tiff',
};

const SHEETS = [
  [595.28, 841.89],
  [612, 792],
];

/**
 * True when an image's physical size (from its stated resolution) is that of a whole sheet,
 * give or take 5 %: a scanned page, which keeps its own margins and gets no extra ones.
 */
export function isSheetSized(bounds: number[]): boolean {
  const w = bounds[2] - bounds[0];
  const h = bounds[3] - bounds[1];
  const [short, long] = w < h ? [w, h] : [h, w];
  return SHEETS.some(([sw, sh]) => Math.abs(short / sw - 1) < 0.05 && Math.abs(long / sh - 1) < 0.05);
}

/** Same width-to-height ratio, give or take 1 %. */
function sameShape(picture: Picture, bounds: number[]): boolean {
  const ratio = (bounds[2] - bounds[0]) / (bounds[3] - bounds[1]);
  return Math.abs(picture.width / picture.height / ratio - 1) < 0.01;
}

/**
 * PNG, JPEG, GIF, BMP and (multi-page) TIFF through MuPDF's image document handler. MuPDF
 * gives each page its size and place (from the image's resolution and orientation); a single
 * picture already `decoded` elsewhere is drawn there instead of MuPDF decoding it.
 */
export function openImage(mupdf: Mupdf, data: Uint8Array, type: Exclude<ImageType, 'webp'>, frames: ImageFrame[], decoded?: Picture): PageSource {
  let doc: InstanceType<Mupdf['Document']>;
  let count: number;
  try {
    doc = mupdf.Document.openDocument(data, MIME[type]);
    count = doc.countPages();
  } catch (err) {
    throw asConversionError(err, `opening ${type}`);
  }
  let image: MupdfImage | null = null;
  return {
    count,
    load(index) {
      const page = doc.loadPage(index);
      const bounds = page.getBounds();
      if (decoded && count === 1 && sameShape(decoded, bounds)) image ??= pictureImage(mupdf, decoded);
      const picture = image;
      return {
        bounds,
        kind: 'image',
        marginPt: isSheetSized(bounds) ? 0 : IMAGE_MARGIN_PT,
        pixels: frames[index],
        draw: (device, ctm) => (picture ? fillRect(mupdf, device, picture, bounds, ctm) : page.run(device, ctm as [number, number, number, number, number, number])),
        destroy: () => page.destroy(),
      };
    },
    close: () => {
      image?.destroy();
      doc.destroy();
    },
  };
}
