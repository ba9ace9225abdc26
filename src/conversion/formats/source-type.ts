/** Document formats Durafax accepts, detected from content. */
export type SourceType = 'pdf' | 'png' | 'jpeg' | 'tiff' | 'gif' | 'webp' | 'bmp' | 'text' | 'docx' | 'odt' | 'rtf' | 'doc';

export type ImageType = 'png' | 'jpeg' | 'tiff' | 'gif' | 'webp' | 'bmp';
export type OfficeType = 'docx' | 'odt' | 'rtf' | 'doc';

export function isImageType(t: SourceType): t is ImageType {
  return t === 'png' || t === 'jpeg' || t === 'tiff' || t === 'gif' || t === 'webp' || t === 'bmp';
}

export function isOfficeType(t: SourceType): t is OfficeType {
  return t === 'docx' || t === 'odt' || t === 'rtf' || t === 'doc';
}
