import { convertDocument, type ConversionOptions, type ConversionResult } from '../../../src/conversion';
import { silentLogger } from '../../../src/log';

/** convertDocument without log lines in the test output. */
export function convert(input: Buffer, options: Partial<ConversionOptions> = {}): Promise<ConversionResult> {
  return convertDocument(input, { paper: 'a4', logger: silentLogger, ...options });
}
