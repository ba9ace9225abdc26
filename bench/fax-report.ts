/** Percentiles and plain-text tables for the fax benchmarks. */

/** Nearest-rank percentile of the samples (p in 0–100). */
export function percentile(samples: number[], p: number): number {
  if (!samples.length) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

/** A latency row: count, p50, p99, max, in milliseconds. */
export function latencyRow(name: string, samples: number[]): string[] {
  return [name, String(samples.length), ms(percentile(samples, 50)), ms(percentile(samples, 99)), ms(Math.max(...samples))];
}

/** Prints a table: the first column left-aligned, the others right-aligned. */
export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const rule = '-'.repeat(widths.reduce((sum, w) => sum + w + 2, -2));
  process.stdout.write(`\n${title}\n${line(header)}\n${rule}\n${rows.map(line).join('\n')}\n`);
}

export function note(text: string): void {
  process.stdout.write(`${text}\n`);
}
