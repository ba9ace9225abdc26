import { reserveHeap, type Mupdf } from '../mupdf';
import { loadSharp, startPdfJpegDecode } from './jpeg';

type PdfDocument = NonNullable<ReturnType<InstanceType<Mupdf['Document']>['asPDF']>>;
type PdfObject = ReturnType<PdfDocument['newIndirect']>;

/**
 * Photos smaller than this stay with MuPDF's decoder: below it the hop to libjpeg-turbo and
 * back saves less than a millisecond or two.
 */
const MIN_PHOTO_PIXELS = 1_000_000;
/** Form XObjects nested deeper than this are not searched for photos (MuPDF still draws them). */
const MAX_FORM_DEPTH = 8;

/**
 * A budget in bytes of decoded samples held at once by all rendering threads of a process
 * together (an Int32 in shared memory, in kilobytes). A decoded photo lives in MuPDF's memory
 * beside the copies MuPDF makes while drawing it, so each one costs a multiple of its size:
 * a photo that does not fit is left to MuPDF's own decoder, which needs less memory.
 */
export class PhotoBudget {
  private readonly kb: Int32Array;

  constructor(shared: SharedArrayBuffer) {
    this.kb = new Int32Array(shared);
  }

  /** A budget for a process allowed `memoryMb`: an eighth of it (128 MB of samples, three 12-megapixel photos, by default). */
  static forProcess(memoryMb: number): SharedArrayBuffer {
    return PhotoBudget.create((memoryMb * 1024 * 1024) / 8);
  }

  static create(bytes: number): SharedArrayBuffer {
    const shared = new SharedArrayBuffer(4);
    Atomics.store(new Int32Array(shared), 0, Math.floor(bytes / 1024));
    return shared;
  }

  take(bytes: number): boolean {
    const kb = Math.ceil(bytes / 1024);
    for (;;) {
      const left = Atomics.load(this.kb, 0);
      if (left < kb) return false;
      if (Atomics.compareExchange(this.kb, 0, left, left - kb) === left) return true;
    }
  }

  give(bytes: number): void {
    Atomics.add(this.kb, 0, Math.ceil(bytes / 1024));
  }
}

/** A JPEG image of the page whose samples libjpeg-turbo can decode in MuPDF's place. */
interface Candidate {
  ref: PdfObject;
  width: number;
  height: number;
  components: 1 | 3;
}

const isName = (obj: PdfObject, ...names: string[]): boolean => obj.isName() && names.includes(obj.asName());

/** Colour components of a device or ICC-based grey or RGB colour space; null for any other. */
function components(space: PdfObject): 1 | 3 | null {
  if (isName(space, 'DeviceGray')) return 1;
  if (isName(space, 'DeviceRGB')) return 3;
  if (space.isArray() && space.length === 2 && isName(space.get(0), 'ICCBased')) {
    const n = space.get(1).get('N');
    if (n.isInteger() && (n.asNumber() === 1 || n.asNumber() === 3)) return n.asNumber() as 1 | 3;
  }
  return null;
}

/**
 * An image XObject whose stored data is exactly one JPEG that both decoders read the same way:
 * the DCTDecode filter alone, without parameters (ColorTransform would override the JPEG's
 * own markers), 8 bits of grey or RGB, no Decode array, not a stencil mask.
 */
function candidate(ref: PdfObject): Candidate | null {
  const filter = ref.get('Filter');
  const onlyDct = isName(filter, 'DCTDecode') || (filter.isArray() && filter.length === 1 && isName(filter.get(0), 'DCTDecode'));
  if (!onlyDct) return null;
  const params = ref.get('DecodeParms');
  if (!params.isNull() && !(params.isArray() && params.length === 1 && params.get(0).isNull())) return null;
  if (ref.get('BitsPerComponent').valueOf() !== 8) return null;
  if (ref.get('ImageMask').valueOf() === true || !ref.get('Decode').isNull()) return null;
  const width = ref.get('Width');
  const height = ref.get('Height');
  if (!width.isInteger() || !height.isInteger() || width.asNumber() * height.asNumber() < MIN_PHOTO_PIXELS) return null;
  const n = components(ref.get('ColorSpace'));
  if (n === null) return null;
  return { ref, width: width.asNumber(), height: height.asNumber(), components: n };
}

/** The image XObjects a page shows through its resources, forms included, each once. */
function pageImages(page: PdfObject): PdfObject[] {
  const found: PdfObject[] = [];
  const seen = new Set<number>();
  const visit = (resources: PdfObject, depth: number): void => {
    const xobjects = resources.get('XObject');
    if (!xobjects.isDictionary()) return;
    xobjects.forEach((ref) => {
      if (!ref.isIndirect() || seen.has(ref.asIndirect())) return;
      seen.add(ref.asIndirect());
      const subtype = ref.get('Subtype');
      if (isName(subtype, 'Image')) found.push(ref);
      else if (isName(subtype, 'Form') && depth < MAX_FORM_DEPTH) visit(ref.get('Resources'), depth + 1);
    });
  };
  visit(page.getInheritable('Resources'), 0);
  return found;
}

/** One image whose stream now holds decoded samples, and what puts its JPEG back. */
interface Swapped {
  ref: PdfObject;
  jpeg: Uint8Array;
  filter: PdfObject;
  params: PdfObject;
  bytes: number;
}

type Sharp = NonNullable<Awaited<ReturnType<typeof loadSharp>>>;

/**
 * Decodes the large JPEG photos of a PDF page with libjpeg-turbo (native, off this thread)
 * instead of MuPDF's WebAssembly decoder, about half as fast again: before the page is drawn,
 * each photo's stream in this thread's copy of the document is replaced by its decoded samples
 * (no filter), which MuPDF reads as the same picture. A photo stays swapped while the following
 * pages this thread draws show it too (a letterhead is decoded once, as MuPDF would); the
 * others get their JPEG back, so a long document of scans holds only the photos of the page
 * being drawn. Whatever goes wrong short of running out of memory leaves the photo to MuPDF,
 * which then judges the file.
 */
export class PdfPhotos {
  private readonly swapped = new Map<number, Swapped>();

  constructor(
    private readonly mupdf: Mupdf,
    private readonly pdf: PdfDocument,
    private readonly budget: PhotoBudget,
  ) {}

  /** Swaps the page's photos for their samples, and puts back those of earlier pages it does not show. */
  async prepare(index: number): Promise<void> {
    let images: PdfObject[] = [];
    let todo: Candidate[] = [];
    try {
      images = pageImages(this.pdf.findPage(index));
      todo = images.filter((ref) => !this.swapped.has(ref.asIndirect())).flatMap((ref) => candidate(ref) ?? []);
    } catch {
      // A damaged page tree or resources: MuPDF loads the page (or says what is wrong) as before.
    }
    const shown = new Set(images.map((ref) => ref.asIndirect()));
    let restored = false;
    for (const [num, s] of this.swapped) {
      if (shown.has(num)) continue;
      this.swapped.delete(num);
      this.restore(s);
      restored = true;
    }
    // MuPDF keeps what it drew from the samples (their copy, a grey copy) in its store, under
    // objects that hold the JPEG again: dead weight of a photo's size or more. Fonts and the
    // like are loaded again by a later page that needs them, in far less time than a photo takes.
    if (restored) this.mupdf.emptyStore();
    const sharp = todo.length > 0 ? await loadSharp() : null;
    if (!sharp) return;
    // Decoded one at a time: only one photo's samples are outside MuPDF's memory at once.
    for (const c of todo) {
      const bytes = c.width * c.height * c.components;
      if (!this.budget.take(bytes)) continue;
      let s: Swapped | null = null;
      try {
        s = await this.swap(sharp, c, bytes);
      } finally {
        if (s) this.swapped.set(c.ref.asIndirect(), s);
        else this.budget.give(bytes);
      }
    }
  }

  /** Gives the budget back; the samples go with the document. */
  close(): void {
    for (const s of this.swapped.values()) this.budget.give(s.bytes);
    this.swapped.clear();
  }

  private async swap(sharp: Sharp, c: Candidate, bytes: number): Promise<Swapped | null> {
    let jpeg: Uint8Array;
    try {
      const raw = c.ref.readRawStream();
      try {
        jpeg = raw.asUint8Array().slice();
      } finally {
        raw.destroy();
      }
    } catch {
      return null;
    }
    const decoding = startPdfJpegDecode(sharp, jpeg, c.width, c.height, c.components);
    if (!decoding) return null;
    // The samples' copy and what MuPDF allocates to draw them (the samples again, a grey copy,
    // its scaled copy), measured on a 12-megapixel photo.
    reserveHeap(this.mupdf, 2 * bytes + 2 * c.width * c.height + 16 * 1024 * 1024);
    const picture = await decoding;
    if (!picture) return null;
    const { samples } = picture;
    // A Buffer that owns its whole memory is handed over without a copy on the JavaScript side.
    const whole = samples.byteOffset === 0 && samples.byteLength === samples.buffer.byteLength && samples.buffer instanceof ArrayBuffer;
    const data = new this.mupdf.Buffer(whole ? samples.buffer : samples);
    const swapped: Swapped = { ref: c.ref, jpeg, filter: c.ref.get('Filter'), params: c.ref.get('DecodeParms'), bytes };
    try {
      // Also drops /Filter and /DecodeParms: the stream is plain samples now.
      c.ref.writeStream(data);
    } catch (err) {
      this.putBack(swapped);
      throw err;
    } finally {
      data.destroy();
    }
    return swapped;
  }

  private restore(s: Swapped): void {
    try {
      this.putBack(s);
    } finally {
      this.budget.give(s.bytes);
    }
  }

  private putBack({ ref, jpeg, filter, params }: Swapped): void {
    const data = new this.mupdf.Buffer(jpeg);
    try {
      ref.writeRawStream(data);
      ref.put('Filter', filter);
      if (!params.isNull()) ref.put('DecodeParms', params);
    } finally {
      data.destroy();
    }
  }
}
