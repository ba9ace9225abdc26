import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'ui.js');

/**
 * Builds the Temporal UI unless its inputs are unchanged (scripts/ui.js decides; `npm run build`
 * runs the same step, so under `npm start` this only checks). `durafax start` calls it so a
 * checkout started without `npm run build` (a test stack) still gets the UI.
 */
export function ensureUiBuilt(say: (line: string) => void): Promise<void> {
  if (!fs.existsSync(SCRIPT)) return Promise.reject(new Error(`the Temporal UI cannot be built here (${SCRIPT} is missing)`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, 'build'], { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) readline.createInterface({ input: stream }).on('line', say);
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building the Temporal UI failed (exit code ${code})`))));
  });
}
