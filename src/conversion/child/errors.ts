import { ConversionError } from '../types';

/**
 * Turns an exception from MuPDF or a decoder into a ConversionError: allocation failures are
 * out-of-memory, anything else means the file could not be read.
 */
export function asConversionError(err: unknown, what: string): ConversionError {
  if (err instanceof ConversionError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/out of memory|malloc|cannot allocate|memory access out of bounds|Array buffer allocation failed/i.test(message)) {
    return new ConversionError('conversion_out_of_memory', `${what}: out of memory`);
  }
  return new ConversionError('corrupt_document', `${what}: ${message.split('\n')[0].slice(0, 200)}`);
}
