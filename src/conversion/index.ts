/** Document conversion: uploads to fax pages. Runs in the worker, never in the web tier. */
export { convertDocument, prewarmConversions, stopPrewarming } from './convert-document';
export { detectType } from './detect';
export { DEFAULT_LIMITS } from './limits';
export { SOURCE_TYPES, type SourceType } from './formats/source-type';
export { PAPERS, FAX_WIDTH, FAX_DPI_X, FAX_DPI_Y } from './raster/paper';
export * from './types';
