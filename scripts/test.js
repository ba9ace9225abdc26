#!/usr/bin/env node
// The whole test suite, as `npm test` runs it: type check and build, lint, then jest.
// Prints jest's own summary, then one plain line "N passed, N failed" that CI reads; the type
// check and the lint count as one test each. Extra arguments go to jest (a file or -t name).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status === 0;

let passed = 0;
let failed = 0;
const check = (label, ok) => {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${label}`);
  if (ok) passed++;
  else failed++;
};

const jestArgs = process.argv.slice(2);
// The build the tests' processes run: the code, the pages' script, and the workflow bundle
// that `durafax start`'s worker loads when it exists (so a stale one can never be tested).
// The type check and the build are separate checks: a type error in one test file fails the
// first, but the build still runs so that the rest of the suite can.
check('type check (tsc)', run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']));
check(
  "build (tsc, the pages' script, the workflow bundle)",
  run(bin('tsc'), ['-p', 'tsconfig.build.json']) &&
    run(bin('tsc'), ['-p', 'src/web/client/tsconfig.json']) &&
    run(process.execPath, [path.join(root, 'dist', 'worker', 'bundle.js')]),
);
if (jestArgs.length === 0) check('lint (eslint)', run(bin('eslint'), ['.']));

const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-jest-')), 'results.json');
run(bin('jest'), ['--json', `--outputFile=${out}`, ...jestArgs]);
let results = null;
try {
  results = JSON.parse(fs.readFileSync(out, 'utf8'));
} catch {
  console.error('jest wrote no results');
}
fs.rmSync(path.dirname(out), { recursive: true, force: true });
if (results) {
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  // A test file that fails to load has no tests of its own: count it as one failure.
  for (const suite of results.testResults) {
    if (suite.status === 'failed' && suite.assertionResults.every((a) => a.status !== 'failed')) {
      console.log(`FAIL ${path.relative(root, suite.name)}: ${(suite.message || '').split('\n').find((l) => l.trim()) || 'failed to run'}`);
      failed++;
    }
  }
  const skipped = results.numPendingTests + results.numTodoTests;
  if (skipped) console.log(`(${skipped} skipped: each says why above)`);
} else {
  failed++;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
