import fs from 'node:fs';
import path from 'node:path';

const NAMES = ['soffice', 'libreoffice'];
/** Where installers put LibreOffice without adding it to PATH. */
const KNOWN = ['/usr/lib/libreoffice/program/soffice', '/opt/libreoffice/program/soffice', '/Applications/LibreOffice.app/Contents/MacOS/soffice'];

const cache = new Map<string, string | null>();

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** LibreOffice's program on this machine (PATH first, then the usual install folders), or null. */
export function findLibreOffice(envPath = process.env.PATH ?? ''): string | null {
  const cached = cache.get(envPath);
  if (cached !== undefined) return cached;
  const candidates = [
    ...envPath
      .split(path.delimiter)
      .filter(Boolean)
      .flatMap((dir) => NAMES.map((n) => path.join(dir, n))),
    ...KNOWN,
  ];
  const found = candidates.find(executable) ?? null;
  cache.set(envPath, found);
  return found;
}
