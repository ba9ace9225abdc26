/** Document conversion: uploads to fax pages. Runs in the worker, never in the web tier. */
export { convertDocument, conversionImminent, conversionsWaiting, keepConversionProcesses, stopConversionProcesses } from './convert-document';
export { detectType } from './detect';
export { sweepLeftoverOfficeJobs } from './office-profile';
export type { SourceType } from './formats/source-type';
export * from './types';
