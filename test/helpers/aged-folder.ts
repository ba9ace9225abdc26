import fs from 'node:fs';
import path from 'node:path';

/** A folder `name` in `dir` holding a sender's document in `file`, last changed `ageMs` ago. */
export function agedFolder(dir: string, name: string, ageMs: number, file = 'document'): string {
  const folder = path.join(dir, name);
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, file), "a sender's letter");
  const at = new Date(Date.now() - ageMs);
  fs.utimesSync(folder, at, at);
  return folder;
}
