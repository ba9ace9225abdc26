import type { Paper } from '../../raster/paper';
import { wrapWords } from '../../formats/wrap-words';
import type { CoverPage } from '../../types';
import type { Mupdf } from '../mupdf';
import type { LoadedPage } from '../page-source';
import type { TextPainter, TextRun } from '../text-painter';

const MARGIN = (20 / 25.4) * 72;
const TITLE_SIZE = 40;
const FIELD_SIZE = 13;
const FIELD_LEADING = 20;
const MESSAGE_SIZE = 12;
const MESSAGE_LEADING = 16;

/** A horizontal rule across the text column at y. */
function rule(mupdf: Mupdf, y: number, x0: number, x1: number): InstanceType<Mupdf['Path']> {
  const path = new mupdf.Path();
  path.rect(x0, y, x1, y + 1.2);
  return path;
}

/**
 * The cover sheet in the sender's language: sender, recipient, number, subject, page count
 * and the message, which is cut with an ellipsis if it would run off the page.
 */
export function coverPage(mupdf: Mupdf, painter: TextPainter, cover: CoverPage, paper: Paper, totalPages: number): LoadedPage {
  // Every text of the service in three languages takes a tenth of a conversion process's
  // start to load: only for documents with a cover page.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { t } = require('../../../i18n') as typeof import('../../../i18n');
  const l = cover.locale;
  const right = paper.widthPt - MARGIN;
  const runs: TextRun[] = [];
  let y = MARGIN + TITLE_SIZE * 0.8;
  runs.push({ x: MARGIN, y, size: TITLE_SIZE, text: t(l, 'cover.title'), font: 'sans-bold' });
  y += 20;
  const rules = [y];
  y += 36;

  const fields: Array<[string, string | undefined]> = [
    ['cover.from', cover.senderName],
    ['cover.to', cover.recipientName],
    ['cover.number', cover.recipientNumber],
    ['cover.subject', cover.subject],
    ['cover.pages', t(l, 'cover.pages_value', { pages: totalPages })],
  ];
  const shown = fields.filter((f): f is [string, string] => typeof f[1] === 'string' && f[1].trim() !== '');
  const labelWidth = Math.max(...shown.map(([key]) => painter.measure('sans-bold', t(l, key), FIELD_SIZE))) + 18;
  for (const [key, value] of shown) {
    runs.push({ x: MARGIN, y, size: FIELD_SIZE, text: t(l, key), font: 'sans-bold' });
    const lines = wrapWords(value.trim(), right - MARGIN - labelWidth, (s) => painter.measure('sans', s, FIELD_SIZE)).slice(0, 3);
    for (const line of lines) {
      runs.push({ x: MARGIN + labelWidth, y, size: FIELD_SIZE, text: line, font: 'sans' });
      y += FIELD_LEADING;
    }
    y += 4;
  }

  const message = cover.message?.trim();
  if (message) {
    y += 10;
    rules.push(y);
    y += 30;
    runs.push({ x: MARGIN, y, size: FIELD_SIZE, text: t(l, 'cover.message'), font: 'sans-bold' });
    y += 26;
    const measure = (s: string): number => painter.measure('sans', s, MESSAGE_SIZE);
    const lines = wrapWords(message, right - MARGIN, measure);
    const room = Math.floor((paper.heightPt - MARGIN - y) / MESSAGE_LEADING) + 1;
    if (lines.length > room) {
      lines.length = room;
      lines[room - 1] = `${lines[room - 1]} …`;
    }
    for (const line of lines) {
      runs.push({ x: MARGIN, y, size: MESSAGE_SIZE, text: line, font: 'sans' });
      y += MESSAGE_LEADING;
    }
  }

  return {
    bounds: [0, 0, paper.widthPt, paper.heightPt],
    kind: 'generated',
    marginPt: 0,
    draw: (device, ctm) => {
      const m = ctm as [number, number, number, number, number, number];
      for (const ry of rules) {
        const path = rule(mupdf, ry, MARGIN, right);
        device.fillPath(path, false, m, mupdf.ColorSpace.DeviceGray, [0], 1);
        path.destroy();
      }
      painter.fill(device, ctm, runs);
    },
    destroy: () => undefined,
  };
}
