import { ConversionError } from '../conversion/types';
import type { Converter } from '../activities/conversion-step';
import type { FaxMetrics } from './fax-metrics';

/** The converter, timed: each document's conversion lands in the conversion histogram with its outcome. */
export function timedConverter(convert: Converter, metrics: FaxMetrics): Converter {
  return async (input, options) => {
    const started = process.hrtime.bigint();
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await convert(input, options);
      metrics.conversionTook(seconds(), 'ok');
      return result;
    } catch (err) {
      metrics.conversionTook(seconds(), err instanceof ConversionError ? err.reason : 'error');
      throw err;
    }
  };
}
