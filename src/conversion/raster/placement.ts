import { FAX_DPI_X, FAX_DPI_Y, faxAreaPt, type Paper } from './paper';

/** [a, b, c, d, e, f] as PDF and MuPDF write it: x' = a·x + c·y + e, y' = b·x + d·y + f. */
export type Matrix6 = [number, number, number, number, number, number];

export interface Placement {
  /** From source page space (points, y down, as MuPDF reports bounds) to fax pixels. */
  matrix: Matrix6;
  /** The page was landscape and was turned to portrait. */
  rotated: boolean;
  /** Scale applied to the source page (1 = printed at its own size). */
  scale: number;
  /** Size of the placed content on the fax page, in points. */
  placedPt: { width: number; height: number };
}

/**
 * Fits a source page onto the fax page: landscape pages are turned a quarter turn (their top
 * edge to the left, as printers do), the page is scaled to fit whole, keeping its own margins
 * plus `marginPt` on every side, and centred. Small pages are enlarged to fit.
 */
export function placePage(bounds: readonly number[], paper: Paper, marginPt: number): Placement {
  const [x0, y0, x1, y1] = bounds;
  const w = x1 - x0;
  const h = y1 - y0;
  if (!(w > 0 && h > 0)) throw new RangeError('page has no area');
  const rotated = w > h;
  const cw = rotated ? h : w;
  const ch = rotated ? w : h;
  const area = faxAreaPt(paper);
  // Content with margins of its own (a page) may use the full scan width; added margins are
  // measured from the sheet's edge, which is narrower than the scan line.
  const availW = marginPt > 0 ? Math.min(area.width, paper.widthPt) - 2 * marginPt : area.width;
  const availH = area.height - 2 * marginPt;
  const scale = Math.min(availW / cw, availH / ch);
  const offX = (area.width - cw * scale) / 2;
  const offY = (area.height - ch * scale) / 2;
  const kx = FAX_DPI_X / 72;
  const ky = FAX_DPI_Y / 72;
  const s = scale;
  const matrix: Matrix6 = rotated
    ? // (x, y) → (y − y0, w − (x − x0)): the top edge runs up the left side.
      [0, -ky * s, kx * s, 0, kx * (offX - s * y0), ky * (s * (w + x0) + offY)]
    : [kx * s, 0, 0, ky * s, kx * (offX - s * x0), ky * (offY - s * y0)];
  return { matrix, rotated, scale, placedPt: { width: cw * scale, height: ch * scale } };
}

export function transformPoint(m: Matrix6, x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}
