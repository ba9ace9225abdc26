import { silentLogger } from '../src/log';
import { startIdleTrim } from '../src/memory-trim';

/** Old-generation garbage: objects that live long enough to be promoted, then let go. */
function promoteAndDrop(): void {
  let kept: object[] = [];
  for (let i = 0; i < 600_000; i++) kept.push({ id: i, text: `record ${i}`, list: [i, i + 1] });
  // Two young-generation collections promote what is still referenced.
  for (let round = 0; round < 2; round++) for (let i = 0; i < 200_000; i++) void { filler: i };
  kept = [];
  void kept;
}

test('an idle process gives back the heap a busy spell grew', async () => {
  const trim = startIdleTrim(silentLogger, 200);
  try {
    promoteAndDrop();
    const grown = process.memoryUsage().heapTotal;
    const deadline = Date.now() + 5_000;
    while (trim.trims === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(trim.trims).toBeGreaterThan(0);
    expect(process.memoryUsage().heapTotal).toBeLessThan(grown - 16 * 1024 * 1024);
  } finally {
    trim.stop();
  }
});

test('a busy process is left alone', async () => {
  const trim = startIdleTrim(silentLogger, 200);
  try {
    promoteAndDrop();
    // The event loop busy for the whole of each interval: no collection is forced on it.
    const until = Date.now() + 1_000;
    while (Date.now() < until) promoteAndDrop();
    expect(trim.trims).toBe(0);
  } finally {
    trim.stop();
  }
});
