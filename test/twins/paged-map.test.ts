import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FilePages } from '../../src/engine/store/pages';
import { JsonText } from '../../src/twins/journal';
import { PagedMap } from '../../src/twins/paged-map';

/**
 * The map keeps a slot per id in a few typed arrays (where its page is, when it was used, its
 * stamp) and reuses a deleted id's slot: what one id did to a slot must never show through
 * another's.
 */
interface Thing {
  id: string;
  n: number;
}

let dir: string;
let pages: FilePages;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-paged-map-'));
  pages = new FilePages(path.join(dir, 'pages'));
});

afterEach(() => {
  pages.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const thing = (id: string, n: number): Thing => ({ id, n });
const never = (): boolean => false;

test('a deleted id’s slot, reused by a new id, carries nothing of the old one: page, stamp or order', () => {
  const map = new PagedMap<Thing>(pages, { stamp: (t) => t.n });
  for (const [i, id] of ['a', 'b', 'c'].entries()) map.set(id, thing(id, i + 1));
  expect(map.pageOut(Infinity, never)).toBe(3);
  expect(map.residentCount).toBe(0);

  expect(map.delete('b')).toBe(true);
  expect(map.delete('b')).toBe(false);
  map.set('d', thing('d', 40));
  expect([...map.keys()]).toEqual(['a', 'c', 'd']);
  expect([...map.stamps()]).toEqual([
    ['a', 1],
    ['c', 3],
    ['d', 40],
  ]);
  // d is in memory with no page of its own; a and c are handed on as their pages' JSON.
  const entries = [...map.entries()].map(([id, value]) => [id, value instanceof JsonText ? `page:${value.text}` : value]);
  expect(entries).toEqual([
    ['a', `page:${JSON.stringify(thing('a', 1))}`],
    ['c', `page:${JSON.stringify(thing('c', 3))}`],
    ['d', thing('d', 40)],
  ]);
  expect(map.pageOut(Infinity, never)).toBe(1);
  expect(map.get('d')).toEqual(thing('d', 40));
  expect(map.get('b')).toBeUndefined();
  expect(map.has('b')).toBe(false);
  expect(map.size).toBe(3);
});

test('a value changed after it came back is written to a new page; an unchanged one reuses its page', () => {
  const map = new PagedMap<Thing>(pages);
  map.set('a', thing('a', 1));
  map.set('b', thing('b', 2));
  map.pageOut(Infinity, never);
  const written = pages.totalBytes;

  expect(map.get('a')).toEqual(thing('a', 1));
  map.get('b')!.n = 20;
  map.changed('b');
  map.pageOut(Infinity, never);
  // Only b went to a new page.
  expect(pages.totalBytes - written).toBe(JSON.stringify(thing('b', 20)).length);
  expect(pages.liveBytes).toBe(JSON.stringify(thing('a', 1)).length + JSON.stringify(thing('b', 20)).length);
  expect([...map.values()]).toEqual([thing('a', 1), thing('b', 20)]);
});

test('many ids past the first slots, some kept in by pageable and some dirty, all read back after a compaction of the page file', () => {
  const map = new PagedMap<Thing>(pages, { pageable: (t) => t.n % 7 !== 0, stamp: (t) => t.n * 2 });
  const count = 500;
  for (let n = 0; n < count; n++) map.set(`id${n}`, thing(`id${n}`, n));
  const dirty = (id: string): boolean => id.endsWith('5');
  const out = map.pageOut(Infinity, dirty);
  const kept = [...Array(count).keys()].filter((n) => n % 7 === 0 || String(n).endsWith('5'));
  expect(out).toBe(count - kept.length);
  expect(map.residentCount).toBe(kept.length);
  expect([...map.residentValues()].map((t) => t.n).sort((x, y) => x - y)).toEqual(kept);

  // Every other one is deleted, then the page file is compacted and the pages moved.
  for (let n = 0; n < count; n += 2) map.delete(`id${n}`);
  const moved = pages.compact(map.pageRefs());
  map.movePages(moved);
  expect(pages.liveBytes).toBe(pages.totalBytes);
  for (let n = 1; n < count; n += 2) expect(map.get(`id${n}`)).toEqual(thing(`id${n}`, n));
  expect([...map.stamps()].every(([id, stamp]) => stamp === Number(id.slice(2)) * 2)).toBe(true);
  expect(map.size).toBe(count / 2);
});

test('without a page store everything stays in memory', () => {
  const map = new PagedMap<Thing>(null);
  map.set('a', thing('a', 1));
  expect(map.pageOut(Infinity, never)).toBe(0);
  expect(map.residentCount).toBe(1);
  expect(map.pageRefs()).toEqual([]);
});
