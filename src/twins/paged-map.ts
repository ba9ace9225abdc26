import type { PageRef } from '../engine/model/state';
import { SCRATCH, type PageStore } from '../engine/store/pages';
import { JsonText } from './journal';

export interface PagedMapOptions<T> {
  /**
   * Whether the value may leave memory. One that something walks over in memory (the sweep
   * looks at open sessions and holds, the deliverer at pending deliveries) must stay in.
   */
  pageable?: (value: T) => boolean;
  /** A number kept in memory for every value, read without loading it (e.g. when it was created). */
  stamp?: (value: T) => number;
}

/** A slot's page offset while it has no page. */
const NO_PAGE = -1;
/** Slots made at first; the per-slot arrays double when full. */
const INITIAL_SLOTS = 64;

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
 *
 * What stays in memory for a value that is out is its id and a slot: a number in the id map,
 * and the slot's place in a few typed arrays (where its page is, when it was last used, its
 * stamp). An object per value, with a page reference object beside it, took about three times
 * as much (`bench/twins-memory.ts`).
 */
export class PagedMap<T> {
  /** Each id's slot, in insertion order. */
  private readonly slots = new Map<string, number>();
  /** Per slot: the value while it is in memory. */
  private readonly held: (T | undefined)[] = [];
  /**
   * Per slot: its page's offset in the scratch file and its length, while it is out and after
   * it came back unchanged (then it goes out again for free); NO_PAGE when it has none.
   */
  private offsets = new Float64Array(INITIAL_SLOTS);
  private lengths = new Uint32Array(INITIAL_SLOTS);
  /** Per slot: when it was last read or written (ms). */
  private used = new Float64Array(INITIAL_SLOTS);
  /** Per slot: what `stamp` said of it (stays in memory while the value is out); only with `stamp`. */
  private stampOf: Float64Array | null;
  /** Slots to reuse (their ids were deleted), and the first never used. */
  private readonly spare: number[] = [];
  private nextSlot = 0;
  /** The ids whose value is in memory. */
  private readonly resident = new Set<string>();

  constructor(
    private readonly pages: PageStore | null,
    private readonly opts: PagedMapOptions<T> = {},
  ) {
    this.stampOf = opts.stamp ? new Float64Array(INITIAL_SLOTS) : null;
  }

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
    if (slot === undefined) return undefined;
    this.used[slot] = Date.now();
    if (this.held[slot] === undefined && this.offsets[slot] !== NO_PAGE && this.pages) {
      this.held[slot] = JSON.parse(this.pages.read(this.pageAt(slot))) as T;
      this.resident.add(id);
    }
    return this.held[slot];
  }

  set(id: string, value: T): void {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.newSlot();
      this.slots.set(id, slot);
    } else {
      this.dropPage(slot);
    }
    this.held[slot] = value;
    this.used[slot] = Date.now();
    if (this.stampOf) this.stampOf[slot] = this.opts.stamp?.(value) ?? 0;
    this.resident.add(id);
  }

  delete(id: string): boolean {
    const slot = this.slots.get(id);
    if (slot === undefined) return false;
    this.dropPage(slot);
    this.held[slot] = undefined;
    this.slots.delete(id);
    this.resident.delete(id);
    this.spare.push(slot);
    return true;
  }

  /** The value was changed in place: its page, if it kept one, is out of date. */
  changed(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    this.used[slot] = Date.now();
    const value = this.held[slot];
    if (value === undefined) return;
    if (this.stampOf) this.stampOf[slot] = this.opts.stamp?.(value) ?? 0;
    this.dropPage(slot);
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
      const slot = this.slots.get(id);
      const value = slot === undefined ? undefined : this.held[slot];
      if (value !== undefined) yield value;
    }
  }

  /** Every id with its stamp, without loading anything. */
  *stamps(): Generator<readonly [string, number]> {
    for (const [id, slot] of this.slots) yield [id, this.stampOf?.[slot] ?? 0];
  }

  /** Every entry for a journal's compaction: values out are handed on as their JSON, not loaded. */
  *entries(): Generator<readonly [string, T | JsonText]> {
    for (const [id, slot] of this.slots) {
      const value = this.held[slot];
      if (value !== undefined) yield [id, value];
      else if (this.offsets[slot] !== NO_PAGE && this.pages) yield [id, new JsonText(this.pages.read(this.pageAt(slot)))];
    }
  }

  /** Pages out the values not used since `idleBefore` that may go; returns how many went. */
  pageOut(idleBefore: number, isDirty: (id: string) => boolean): number {
    if (!this.pages) return 0;
    let out = 0;
    for (const id of this.resident) {
      const slot = this.slots.get(id);
      const value = slot === undefined ? undefined : this.held[slot];
      if (slot === undefined || value === undefined) {
        this.resident.delete(id);
        continue;
      }
      if (this.used[slot] > idleBefore || isDirty(id) || (this.opts.pageable && !this.opts.pageable(value))) continue;
      if (this.offsets[slot] === NO_PAGE) {
        const ref = this.pages.write(JSON.stringify(value));
        if (Buffer.isBuffer(ref) || ref.file !== SCRATCH) throw new Error('a paged map keeps its pages in a scratch page file');
        this.offsets[slot] = ref.offset;
        this.lengths[slot] = ref.length;
      }
      this.held[slot] = undefined;
      this.resident.delete(id);
      out++;
    }
    return out;
  }

  /** The pages in use, in a stable order, and a way to move them (a compaction of the page file). */
  pageRefs(): PageRef[] {
    const refs: PageRef[] = [];
    for (const slot of this.slots.values()) if (this.offsets[slot] !== NO_PAGE) refs.push(this.pageAt(slot));
    return refs;
  }

  movePages(moved: PageRef[]): void {
    let i = 0;
    for (const slot of this.slots.values()) {
      if (this.offsets[slot] === NO_PAGE) continue;
      const ref = moved[i++];
      if (Buffer.isBuffer(ref) || ref.file !== SCRATCH) throw new Error('a paged map keeps its pages in a scratch page file');
      this.offsets[slot] = ref.offset;
      this.lengths[slot] = ref.length;
    }
  }

  private pageAt(slot: number): PageRef {
    return { file: SCRATCH, offset: this.offsets[slot], length: this.lengths[slot] };
  }

  /** Frees the slot's page, if it has one. */
  private dropPage(slot: number): void {
    if (this.offsets[slot] === NO_PAGE) return;
    this.pages?.free(this.pageAt(slot));
    this.offsets[slot] = NO_PAGE;
  }

  private newSlot(): number {
    const reused = this.spare.pop();
    if (reused !== undefined) return reused;
    const slot = this.nextSlot++;
    if (slot === this.offsets.length) this.grow(slot * 2);
    this.offsets[slot] = NO_PAGE;
    return slot;
  }

  private grow(capacity: number): void {
    const grown = <A extends Float64Array | Uint32Array>(from: A, make: (n: number) => A): A => {
      const to = make(capacity);
      to.set(from);
      return to;
    };
    this.offsets = grown(this.offsets, (n) => new Float64Array(n));
    this.lengths = grown(this.lengths, (n) => new Uint32Array(n));
    this.used = grown(this.used, (n) => new Float64Array(n));
    if (this.stampOf) this.stampOf = grown(this.stampOf, (n) => new Float64Array(n));
  }
}
