import type { PageRef } from '../engine/model/state';
import type { PageStore } from '../engine/store/pages';
import { JsonText } from './journal';

interface Slot<T> {
  /** The value while it is in memory. */
  value: T | undefined;
  /** Its page: while it is out, and after it came back unchanged (then it goes out again for free). */
  page: PageRef | undefined;
  /** When it was last read or written (ms). */
  used: number;
  /** What `stamp` said of it (stays in memory while the value is out). */
  stamp: number;
}

export interface PagedMapOptions<T> {
  /**
   * Whether the value may leave memory. One that something walks over in memory (the sweep
   * looks at open sessions and holds, the deliverer at pending deliveries) must stay in.
   */
  pageable?: (value: T) => boolean;
  /** A number kept in memory for every value, read without loading it (e.g. when it was created). */
  stamp?: (value: T) => number;
}

/**
 * A map of a twin's objects by id, in insertion order, whose idle values go to a page file (a
 * twin keeps every object it ever made, as Stripe does; they are read rarely once settled).
 * `get` loads a value that is out; a value comes back into memory whole and goes out again
 * once idle. The page file is scratch: the journal holds every object, and a restart reads
 * them from there. Without a page store (a twin without a data folder) everything stays in.
 *
 * Code that changes a value it got says so (`changed`), so its old page is not reused. A
 * value is paged out only after `idleMs` without use, so a request that holds one across an
 * await works on the value the map holds.
 */
export class PagedMap<T> {
  private readonly slots = new Map<string, Slot<T>>();
  /** The ids whose value is in memory. */
  private readonly resident = new Set<string>();

  constructor(
    private readonly pages: PageStore | null,
    private readonly opts: PagedMapOptions<T> = {},
  ) {}

  get size(): number {
    return this.slots.size;
  }

  /** How many values are in memory. */
  get residentCount(): number {
    return this.resident.size;
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }

  get(id: string): T | undefined {
    const slot = this.slots.get(id);
    if (!slot) return undefined;
    slot.used = Date.now();
    if (slot.value === undefined && slot.page !== undefined && this.pages) {
      slot.value = JSON.parse(this.pages.read(slot.page)) as T;
      this.resident.add(id);
    }
    return slot.value;
  }

  set(id: string, value: T): void {
    const slot = this.slots.get(id);
    if (slot?.page !== undefined) this.pages?.free(slot.page);
    this.slots.set(id, { value, page: undefined, used: Date.now(), stamp: this.opts.stamp?.(value) ?? 0 });
    this.resident.add(id);
  }

  delete(id: string): boolean {
    const slot = this.slots.get(id);
    if (!slot) return false;
    if (slot.page !== undefined) this.pages?.free(slot.page);
    this.slots.delete(id);
    this.resident.delete(id);
    return true;
  }

  /** The value was changed in place: its page, if it kept one, is out of date. */
  changed(id: string): void {
    const slot = this.slots.get(id);
    if (!slot) return;
    slot.used = Date.now();
    if (slot.value !== undefined) slot.stamp = this.opts.stamp?.(slot.value) ?? 0;
    if (slot.page !== undefined && slot.value !== undefined) {
      this.pages?.free(slot.page);
      slot.page = undefined;
    }
  }

  /** Every value in insertion order, loading those that are out (for lists: rare). */
  *values(): Generator<T> {
    for (const id of [...this.slots.keys()]) {
      const value = this.get(id);
      if (value !== undefined) yield value;
    }
  }

  keys(): IterableIterator<string> {
    return this.slots.keys();
  }

  /** The values in memory, which include every one that is not pageable. */
  *residentValues(): Generator<T> {
    for (const id of this.resident) {
      const value = this.slots.get(id)?.value;
      if (value !== undefined) yield value;
    }
  }

  /** Every id with its stamp, without loading anything. */
  *stamps(): Generator<readonly [string, number]> {
    for (const [id, slot] of this.slots) yield [id, slot.stamp];
  }

  /** Every entry for a journal's compaction: values out are handed on as their JSON, not loaded. */
  *entries(): Generator<readonly [string, T | JsonText]> {
    for (const [id, slot] of this.slots) {
      if (slot.value !== undefined) yield [id, slot.value];
      else if (slot.page !== undefined && this.pages) yield [id, new JsonText(this.pages.read(slot.page))];
    }
  }

  /** Pages out the values not used since `idleBefore` that may go; returns how many went. */
  pageOut(idleBefore: number, isDirty: (id: string) => boolean): number {
    if (!this.pages) return 0;
    let out = 0;
    for (const id of this.resident) {
      const slot = this.slots.get(id);
      if (!slot || slot.value === undefined) {
        this.resident.delete(id);
        continue;
      }
      if (slot.used > idleBefore || isDirty(id) || (this.opts.pageable && !this.opts.pageable(slot.value))) continue;
      slot.page ??= this.pages.write(JSON.stringify(slot.value));
      slot.value = undefined;
      this.resident.delete(id);
      out++;
    }
    return out;
  }

  /** The pages in use, in a stable order, and a way to move them (a compaction of the page file). */
  pageRefs(): PageRef[] {
    const refs: PageRef[] = [];
    for (const slot of this.slots.values()) if (slot.page !== undefined) refs.push(slot.page);
    return refs;
  }

  movePages(moved: PageRef[]): void {
    let i = 0;
    for (const slot of this.slots.values()) if (slot.page !== undefined) slot.page = moved[i++];
  }
}
