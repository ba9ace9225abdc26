import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChargeJson, SessionRecord } from '../../../src/twins/stripe/model';
import { TwinStore } from '../../../src/twins/stripe/store';

test('the page file is compacted once mostly holes, and every object reads back from its moved page', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-stripe-pages-'));
  let store = await TwinStore.open(dir, { pageIdleMs: 0, compactPagesBytes: 0 });
  try {
    const pagesFile = path.join(dir, 'stripe-twin.pages');
    const ids = Array.from({ length: 10 }, (_, i) => `x${i}`);
    for (const id of ids) {
      store.state.sessions.set(id, { json: { id, status: 'complete', amount_total: 0 } } as unknown as SessionRecord);
      store.changed('sessions', id);
      store.state.charges.set(id, { id, amount_refunded: 0 } as unknown as ChargeJson);
      store.changed('charges', id);
    }
    await store.save();
    expect(store.pageOut()).toBe(20);
    const once = (await fs.stat(pagesFile)).size;

    // Each round changes every object: its old page becomes a hole. Once holes outweigh the live
    // pages the file is rewritten with the live ones only: it never reaches twice the live size
    // plus a round's worth (without compaction it would be 4 times the first size by now).
    for (let round = 1; round <= 3; round++) {
      for (const id of ids) {
        (store.state.charges.get(id) as ChargeJson).amount_refunded = round;
        store.changed('charges', id);
        (store.state.sessions.get(id) as SessionRecord).json.amount_total = round;
        store.changed('sessions', id);
      }
      await store.save();
      expect(store.pageOut()).toBe(20);
      expect((await fs.stat(pagesFile)).size).toBeLessThanOrEqual(2 * once);
    }
    for (const id of ids) {
      expect(store.state.charges.get(id)).toEqual({ id, amount_refunded: 3 });
      expect(store.state.sessions.get(id)?.json).toEqual({ id, status: 'complete', amount_total: 3 });
    }
    expect(store.residency()).toEqual({ resident: 20, total: 20 });
    await store.close();

    store = await TwinStore.open(dir, { pageIdleMs: 0 });
    expect(store.residency()).toEqual({ resident: 0, total: 20 });
    expect(store.state.charges.get('x9')).toEqual({ id: 'x9', amount_refunded: 3 });
  } finally {
    await store.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
