import fs from 'node:fs';
import path from 'node:path';

/** Whether processes can be found through /proc (Linux only). */
export const canListProcesses = process.platform === 'linux';

/** The conversion processes this test process started, by pid (Linux /proc). */
export function conversionProcesses(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return parent === process.pid && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path.join('conversion', 'child', 'main'));
      } catch {
        // It ended meanwhile.
        return false;
      }
    });
}
