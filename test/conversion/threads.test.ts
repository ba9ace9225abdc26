import { execFileSync } from 'node:child_process';
import path from 'node:path';

const hook = path.resolve(__dirname, '../../src/conversion/child/register-ts.js');

test('a rendering thread codes the lower half of a G4 image; joined, it is the code made in one go', () => {
  const out = execFileSync(process.execPath, ['-r', hook, path.join(__dirname, 'helpers/g4-helper-child.ts')], { encoding: 'utf8', timeout: 120_000 });
  const result = JSON.parse(out) as { same: boolean; bytes: number };
  expect(result.bytes).toBeGreaterThan(1000);
  expect(result.same).toBe(true);
});
