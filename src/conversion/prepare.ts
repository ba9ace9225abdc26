import { PAPER_SIZES } from '../domain/status';
import { detectType, isBrokenZip, isEncryptedOffice } from './detect';
import { formatBytes } from './limits';
import { findLibreOffice } from './office-program';
import { inspectImage, type ImageFrame } from './formats/image-header';
import { isImageType, isOfficeType, type SourceType } from './formats/source-type';
import { ConversionError, type ConversionLimits, type ConversionOptions } from './types';

export interface PreparedInput {
  type: SourceType;
  frames: ImageFrame[] | null;
  soffice: string | null;
}

/**
 * Everything that can be decided from the bytes without decoding them, in the calling
 * process: size, format, encryption of office files, image dimensions (so a decompression
 * bomb never reaches a decoder) and image page counts.
 */
export function prepareInput(input: Buffer, options: ConversionOptions, limits: ConversionLimits): PreparedInput {
  if (!PAPER_SIZES.includes(options.paper)) throw new TypeError(`unknown paper size ${String(options.paper)}`);
  if (input.length === 0) throw new ConversionError('empty_document', 'the file is empty');
  if (input.length > limits.maxBytes) {
    throw new ConversionError('file_too_large', `the file has ${input.length} bytes, the limit is ${limits.maxBytes}`, { limit: formatBytes(limits.maxBytes) });
  }
  if (isBrokenZip(input)) throw new ConversionError('corrupt_document', 'ZIP container is truncated or damaged');
  const type = detectType(input);
  if (!type) throw new ConversionError('unsupported_format', 'content is not a supported document type');

  let frames: ImageFrame[] | null = null;
  if (isImageType(type)) {
    frames = inspectImage(input, type);
    const pages = frames.length + (options.cover ? 1 : 0);
    if (pages > limits.maxPages) {
      throw new ConversionError('too_many_pages', `image has ${frames.length} pages`, { pages, limit: limits.maxPages });
    }
    const largest = frames.reduce((a, f) => (f.width * f.height > a.width * a.height ? f : a));
    if (largest.width * largest.height > limits.maxPixelsPerPage) {
      throw new ConversionError('page_too_large', `image of ${largest.width}×${largest.height} pixels exceeds the limit of ${limits.maxPixelsPerPage}`, {
        width: largest.width,
        height: largest.height,
      });
    }
  }

  let soffice: string | null = null;
  if (isOfficeType(type)) {
    if (isEncryptedOffice(input)) throw new ConversionError('encrypted_document', 'office document is password-protected');
    soffice = options.libreOffice === false ? null : (options.libreOffice ?? findLibreOffice());
    if (!soffice) throw new ConversionError('needs_libreoffice', `${type} documents need LibreOffice, which is not installed`);
  }
  return { type, frames, soffice };
}
