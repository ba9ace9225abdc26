import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { leanWorkflowBundle } from '../../src/worker/bundle';

/** What `npm run build` writes and the worker loads. */
const BUILT_BUNDLE = path.resolve(__dirname, '..', '..', 'dist', 'workflow-bundle.js');

const MAP_COMMENT = '//# sourceMappingURL=data:application/json;charset=utf-8;base64,';

/** The parts of a bundle: its code and its inline source map, decoded. */
function split(bundle: string): { code: string; map: Record<string, unknown> } {
  const at = bundle.lastIndexOf('//# sourceMappingURL=data:');
  const data = bundle.indexOf('base64,', at) + 'base64,'.length;
  return { code: bundle.slice(0, at), map: JSON.parse(Buffer.from(bundle.slice(data), 'base64').toString('utf8')) as Record<string, unknown> };
}

const aboveLatin1 = (text: string): string[] => [...text].filter((c) => c.charCodeAt(0) > 0xff);

test('a lean bundle is one-byte text that means the same, and its source map keeps everything but the sources', () => {
  const code = "/* convert → pay — done */\nconst price = '€3.36 — “quoted”';\nconst dash = /[–—]/u.test('a – b');\nconst emoji = '📠';\n";
  const map = {
    version: 3,
    file: 'workflow-bundle.js',
    sources: ['/app/src/workflows/fax.ts'],
    sourcesContent: ['export const a = "→";'],
    names: [],
    mappings: 'AAAA;AACA',
    sourceRoot: '',
  };
  const bundle = `${code}${MAP_COMMENT}${Buffer.from(JSON.stringify(map)).toString('base64')}`;

  const lean = leanWorkflowBundle(bundle);
  expect(aboveLatin1(lean)).toEqual([]);
  const parts = split(lean);
  const values = (source: string): unknown => JSON.parse(vm.runInNewContext(`${source}; JSON.stringify([price, dash, emoji])`) as string);
  expect(values(parts.code)).toEqual(values(code));
  expect(values(parts.code)).toEqual(['€3.36 — “quoted”', true, '📠']);
  const { sourcesContent, ...kept } = map;
  expect(sourcesContent).toBeDefined();
  expect(parts.map).toEqual(kept);
  // A bundle without a map still gets its escapes.
  expect(aboveLatin1(leanWorkflowBundle(code))).toEqual([]);
});

test('the built workflow bundle is lean, and its source map still leads to the TypeScript files', () => {
  // `npm test` builds before it runs the tests (scripts/test.js).
  const bundle = fs.readFileSync(BUILT_BUNDLE, 'utf8');
  expect(aboveLatin1(bundle)).toEqual([]);
  const { map } = split(bundle);
  expect(map.sourcesContent).toBeUndefined();
  expect(typeof map.mappings).toBe('string');
  expect((map.mappings as string).length).toBeGreaterThan(10_000);
  expect(map.sources).toEqual(expect.arrayContaining([expect.stringMatching(/src\/workflows\/fax\.ts$/)]));
});
