import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isLocale, PAPER_SIZES, type Locale, type PaperSize } from '../domain/status';
import { t } from '../i18n';
import { createLogger } from '../log';
import { convertDocument } from './convert-document';
import { ConversionError, type CoverPage } from './types';

const USAGE = `Usage: durafax convert <input> <output-folder> [options]

Converts a document into fax pages and writes fax.tiff (TIFF-F, G4), fax.pdf (for the
carrier), page-NN.png (previews), thumb-NN.png and summary.json.

Options:
  --paper a4|letter         paper size (default a4)
  --cover-sender NAME       add a cover page: sender
  --cover-recipient NAME    cover page: recipient
  --cover-number NUMBER     cover page: recipient's fax number
  --cover-subject TEXT      cover page: subject
  --cover-message TEXT      cover page: message
  --locale en|de|fr         language of the cover page and of messages (default en)
  --help                    show this text`;

/** `durafax convert`: exit code 0 when converted, 1 when the document is refused, 2 on bad usage. */
export async function run(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        paper: { type: 'string', default: 'a4' },
        'cover-sender': { type: 'string' },
        'cover-recipient': { type: 'string' },
        'cover-number': { type: 'string' },
        'cover-subject': { type: 'string' },
        'cover-message': { type: 'string' },
        locale: { type: 'string', default: 'en' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    return usageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (positionals.length !== 2) return usageError('expected an input file and an output folder');
  if (!(PAPER_SIZES as readonly string[]).includes(values.paper)) return usageError(`--paper must be one of ${PAPER_SIZES.join(', ')}`);
  if (!isLocale(values.locale)) return usageError('--locale must be en, de or fr');
  const locale: Locale = values.locale;
  const [inputPath, outDir] = positionals;

  const coverFields = {
    senderName: values['cover-sender'],
    recipientName: values['cover-recipient'],
    recipientNumber: values['cover-number'],
    subject: values['cover-subject'],
    message: values['cover-message'],
  };
  const cover: CoverPage | undefined = Object.values(coverFields).some((v) => v !== undefined) ? { ...coverFields, locale } : undefined;

  let input: Buffer;
  try {
    input = await fs.readFile(inputPath);
  } catch (err) {
    process.stderr.write(`Cannot read ${inputPath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
    process.exitCode = 1;
    return;
  }
  try {
    const result = await convertDocument(input, {
      paper: values.paper as PaperSize,
      cover,
      // Human output on stdout; only problems are logged, to stderr.
      logger: createLogger('conversion', 'warn', (line) => process.stderr.write(`${line}\n`)),
    });
    await fs.mkdir(outDir, { recursive: true });
    await fs.writeFile(path.join(outDir, 'fax.tiff'), result.tiff);
    await fs.writeFile(path.join(outDir, 'fax.pdf'), result.pdf);
    const width = Math.max(2, String(result.pages).length);
    for (const [i, page] of result.pageImages.entries()) {
      const n = String(i + 1).padStart(width, '0');
      await fs.writeFile(path.join(outDir, `page-${n}.png`), page.preview);
      await fs.writeFile(path.join(outDir, `thumb-${n}.png`), page.thumbnail);
    }
    const summary = {
      pages: result.pages,
      paper: result.paper,
      sourceType: result.sourceType,
      warnings: result.warnings,
      blackRatios: result.pageImages.map((p) => Math.round(p.blackRatio * 10000) / 10000),
    };
    await fs.writeFile(path.join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(`${result.pages} page(s), ${result.sourceType}, ${result.paper}; written to ${outDir}\n`);
    for (const w of result.warnings) process.stdout.write(`warning: ${t(locale, `conversion.warning.${w.code}`, { page: w.page ?? '' })}\n`);
  } catch (err) {
    if (!(err instanceof ConversionError)) throw err;
    process.stderr.write(`${t(locale, `reason.${err.reason}`, err.params)} (${err.reason})\n`);
    process.exitCode = 1;
  }
}

function usageError(message: string): void {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exitCode = 2;
}
