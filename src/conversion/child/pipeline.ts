import { ConversionError } from '../types';
import { loadMupdf } from './mupdf';
import { takeNoMore, takePage } from './thread-messages';
import { PageRenderer, type PageResult } from './page-renderer';
import type { ThreadPool } from './thread-pool';
import type { ChildPage, ChildResult, ConversionJob } from './process-messages';
import { specFor, type PageJob } from './source-spec';
import { PhotoBudget } from './sources/pdf-photos';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The whole conversion, inside the child process: open the source, check the page count, then
 * render and finish pages on every core (this thread and the rendering threads take pages
 * from one shared counter).
 */
export async function runPipeline(job: ConversionJob, threads: ThreadPool, onPage: (page: ChildPage, done: number, total: number) => void): Promise<ChildResult> {
  const mupdf = await loadMupdf();
  let libraryWarnings = 0;
  mupdf.setLog({ warning: () => libraryWarnings++, error: () => libraryWarnings++ });
  const spec = await specFor(job);
  const pageJob: PageJob = { spec, paper: job.paper, cover: job.cover, maxPixelsPerPage: job.limits.maxPixelsPerPage, photoBudget: PhotoBudget.forProcess(job.limits.memoryMb) };
  // Opening checks the document (password, image sizes) before any page is drawn.
  const renderer = new PageRenderer(mupdf, pageJob);
  try {
    const { total } = renderer;
    if (total > job.limits.maxPages) {
      throw new ConversionError('too_many_pages', `document has ${total} pages, the limit is ${job.limits.maxPages}`, { pages: total, limit: job.limits.maxPages });
    }
    // What the summary needs of each page; the page itself goes to the caller at once.
    const results: Array<Pick<PageResult, 'index' | 'warnings' | 'blankSourcePage'>> = [];
    let done = 0;
    const collect = ({ index, output, warnings, blankSourcePage }: PageResult): void => {
      results[index] = { index, warnings, blankSourcePage };
      const { width, height, g4, preview, thumbnail, blackRatio } = output;
      onPage({ index, width, height, g4, preview, thumbnail, blackRatio }, ++done, total);
    };
    const counter = new Int32Array(new SharedArrayBuffer(4));
    // A single page is this thread's alone: no need to copy the document (or a decoded photo) over.
    // A failure on another thread stops every thread from taking more pages (the pool sees to it).
    const others = total > 1 ? threads.run(pageJob, total, counter.buffer, collect) : Promise.resolve(0);
    try {
      for (let index = takePage(counter, total); index !== null; index = takePage(counter, total)) {
        // A one-page document leaves the other threads idle: one of them codes half its G4 image.
        collect(await renderer.render(index, total === 1 ? threads.g4Helper() : undefined));
        // Lets the other threads' finished pages (and progress) through between pages.
        await nextTurn();
      }
    } catch (err) {
      takeNoMore(counter, total);
      // The process answers once every thread has stopped, so it can take the next document.
      await others.catch(() => undefined);
      throw err;
    }
    libraryWarnings += await others;

    const blankSourcePages = results.filter((r) => r.blankSourcePage).length;
    if (blankSourcePages === renderer.sourcePages) throw new ConversionError('empty_document', 'every page is blank');
    const warnings = results.flatMap((r) => r.warnings.map((code) => ({ code, page: r.index + 1 })));
    return {
      pages: results.length,
      paper: job.paper,
      sourceType: job.type,
      warnings,
      libraryWarnings,
      cpuMs: 0,
    };
  } finally {
    renderer.destroy();
  }
}
