import type { PaperSize } from '../../domain/status';

/** Standard fax scan line: 1728 pixels at 204 dpi across (215 mm), 196 lines per inch down ("fine"). */
export const FAX_WIDTH = 1728;
export const FAX_DPI_X = 204;
export const FAX_DPI_Y = 196;

export interface Paper {
  size: PaperSize;
  /** Sheet size in PDF points (1/72 inch): the page size of the carrier PDF. */
  widthPt: number;
  heightPt: number;
  /** Rows of a fax page on this paper at 196 lines per inch. */
  rows: number;
}

export const PAPERS: Record<PaperSize, Paper> = {
  // 2287 rows is the customary A4 page length of fine-mode fax (297 mm at 196 lpi, rounded down to what receivers accept).
  a4: { size: 'a4', widthPt: 595.28, heightPt: 841.89, rows: 2287 },
  letter: { size: 'letter', widthPt: 612, heightPt: 792, rows: 2156 },
};

/** The area a fax page image covers, in points: the full scan width by the page length. */
export function faxAreaPt(paper: Paper): { width: number; height: number } {
  return { width: (FAX_WIDTH * 72) / FAX_DPI_X, height: (paper.rows * 72) / FAX_DPI_Y };
}
