import type { Mupdf } from './mupdf';

type MupdfDevice = InstanceType<Mupdf['Device']>;

/** Where a page comes from decides which warnings apply to it. */
type PageKind = 'document' | 'image' | 'generated';

/** One page ready to be drawn at any transform. */
export interface LoadedPage {
  /** Page rectangle in points, y down ([x0, y0, x1, y1]), as MuPDF reports it. */
  bounds: number[];
  kind: PageKind;
  /** Extra margin around content that has none of its own (photos), in points. */
  marginPt: number;
  /** Pixel size of a raster source, to judge its resolution on paper. */
  pixels?: { width: number; height: number };
  draw(device: MupdfDevice, ctm: number[]): void;
  destroy(): void;
}

/** The pages of one opened source; pages are loaded one at a time to keep memory flat. */
export interface PageSource {
  count: number;
  /**
   * Work for one page that runs off this thread before the page is loaded (decoding its photos
   * with a native decoder).
   */
  prepare?(index: number): Promise<void>;
  load(index: number): LoadedPage;
  close(): void;
}

/** A decoded picture: 8-bit grey (0 = black) or RGB samples, rows of `width × channels` bytes. */
export interface Picture {
  width: number;
  height: number;
  channels: 1 | 3;
  samples: Uint8Array;
}
