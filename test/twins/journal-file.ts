import fs from 'node:fs/promises';

/** One line of a twin's journal: `<crc32 hex> <JSON [key, value] or [key]>`. */
export interface JournalLine {
  key: string;
  value: unknown;
  removed: boolean;
  bytes: number;
}

/** The complete lines of a journal file, read without the twins' own code. */
export async function journalLines(file: string): Promise<JournalLine[]> {
  const text = await fs.readFile(file, 'utf8');
  const lines = text.split('\n');
  lines.pop();
  return lines.map((line) => {
    const parsed = JSON.parse(line.slice(9)) as [string, unknown?];
    return { key: parsed[0], value: parsed[1], removed: parsed.length === 1, bytes: Buffer.byteLength(line) + 1 };
  });
}

/** The last value of every key still present, in the order keys first appeared. */
export async function journalState(file: string): Promise<Map<string, unknown>> {
  const state = new Map<string, unknown>();
  for (const line of await journalLines(file)) {
    if (line.removed) state.delete(line.key);
    else state.set(line.key, line.value);
  }
  return state;
}

/** Bytes the last record of every present key takes: what a compacted journal holds. */
export async function liveBytes(file: string): Promise<number> {
  const sizes = new Map<string, number>();
  for (const line of await journalLines(file)) {
    if (line.removed) sizes.delete(line.key);
    else sizes.set(line.key, line.bytes);
  }
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}
