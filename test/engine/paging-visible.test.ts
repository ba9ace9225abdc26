import { compactVisible } from '../../src/engine/paging';
import type { VisibleState } from '../../src/engine/model/state';
import type { Payload } from '../../src/engine/proto';

/** A payload as a request decodes it: a view into a much larger buffer. */
function viewed(json: string, type?: string): Payload {
  const big = Buffer.alloc(64 * 1024);
  const put = (text: string, at: number): Uint8Array => {
    const n = big.write(text, at);
    return new Uint8Array(big.buffer, big.byteOffset + at, n);
  };
  const metadata: Record<string, Uint8Array> = { encoding: put('json/plain', 100) };
  if (type) metadata.type = put(type, 200);
  return { metadata, data: put(json, 300) };
}

function visible(runId: string, status: string, faxId: string): VisibleState {
  return {
    kind: 'workflow',
    namespace: 'default',
    workflowId: `fax-${faxId}`,
    runId,
    workflowType: 'faxWorkflow',
    taskQueue: 'q',
    status: 1,
    startTime: 1,
    executionTime: 1,
    closeTime: 0,
    memo: { faxId: viewed(JSON.stringify(faxId)) },
    searchAttributes: { FaxStatus: viewed(JSON.stringify(status), 'Keyword'), FaxPages: viewed('1', 'Int') },
    historySizeBytes: 10,
    firstRunId: runId,
  } as unknown as VisibleState;
}

const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString();

test('paged-out records share equal payloads, keep their own, and hold no request buffer', () => {
  const a = compactVisible(visible('r1', 'delivered', 'f1'));
  const b = compactVisible(visible('r2', 'delivered', 'f2'));
  const c = compactVisible(visible('r3', 'failed', 'f3'));

  // Equal payloads are one frozen object; different ones are not.
  expect(a.searchAttributes.FaxStatus).toBe(b.searchAttributes.FaxStatus);
  expect(a.searchAttributes.FaxPages).toBe(c.searchAttributes.FaxPages);
  expect(a.searchAttributes.FaxStatus).not.toBe(c.searchAttributes.FaxStatus);
  expect(a.memo.faxId).not.toBe(b.memo.faxId);
  expect(Object.isFrozen(a.searchAttributes.FaxStatus)).toBe(true);

  // Each reads what it was given.
  expect([a, b, c].map((v) => [text(v.memo.faxId.data), text(v.searchAttributes.FaxStatus.data), text(v.searchAttributes.FaxStatus.metadata?.type)])).toEqual([
    ['"f1"', '"delivered"', 'Keyword'],
    ['"f2"', '"delivered"', 'Keyword'],
    ['"f3"', '"failed"', 'Keyword'],
  ]);
  expect(text(c.searchAttributes.FaxPages.metadata?.encoding)).toBe('json/plain');

  // The bytes live in small slabs, not in the 64 KiB buffers the requests were decoded from.
  for (const v of [a, b, c]) {
    for (const p of [v.memo.faxId, v.searchAttributes.FaxStatus]) expect((p.data as Uint8Array).buffer.byteLength).toBeLessThanOrEqual(16 * 1024);
  }
});

test('payloads with more than metadata and data, or large ones, are copied, not shared', () => {
  const big = 'x'.repeat(2000);
  const one = compactVisible(visible('r1', big, 'f1'));
  const two = compactVisible(visible('r2', big, 'f2'));
  expect(one.searchAttributes.FaxStatus).not.toBe(two.searchAttributes.FaxStatus);
  expect(text(one.searchAttributes.FaxStatus.data)).toBe(JSON.stringify(big));

  const odd = visible('r3', 'delivered', 'f3');
  odd.searchAttributes.FaxStatus = { ...odd.searchAttributes.FaxStatus, externalPayloads: [{ sizeBytes: 1 }] };
  const shared = compactVisible(visible('r4', 'delivered', 'f4')).searchAttributes.FaxStatus;
  const copied = compactVisible(odd).searchAttributes.FaxStatus;
  expect(copied).not.toBe(shared);
  expect(copied.externalPayloads).toEqual([{ sizeBytes: 1 }]);
});
