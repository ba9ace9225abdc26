import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const HOOK = path.join(ROOT, 'src/conversion/child/register-ts.js');

/** The packages a process's entry module loads before it runs, from a fresh Node process. */
function packagesLoadedBy(entry: string): string[] {
  const script = `
    require(${JSON.stringify(path.join(ROOT, entry))});
    const names = new Set();
    for (const file of Object.keys(require.cache)) {
      const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file);
      if (m) names.add(m[1]);
    }
    process.stdout.write(JSON.stringify([...names]));`;
  return JSON.parse(execFileSync(process.execPath, ['-r', HOOK, '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })) as string[];
}

// Each of these is tens of MB of a process's resident memory: the web and the Temporal UI load
// what they serve, the rest on first use (stripe, pdf-lib, mailparser) or never.
test('the web loads neither the worker, the conversion, the sandbox mailbox, stripe nor pdf-lib at start-up', () => {
  const loaded = packagesLoadedBy('src/web/main.ts');
  expect(loaded).toEqual(expect.arrayContaining(['koa', 'typeorm', '@temporalio/client']));
  for (const unneeded of ['@temporalio/worker', 'webpack', 'mupdf', 'sharp', 'mailparser', 'stripe', 'pdf-lib', 'nodemailer']) {
    expect(loaded).not.toContain(unneeded);
  }
}, 60_000);

test('the Temporal UI server does not load the worker library', () => {
  const loaded = packagesLoadedBy('src/ui/main.ts');
  expect(loaded).toContain('@temporalio/client');
  expect(loaded).not.toContain('@temporalio/worker');
  expect(loaded).not.toContain('webpack');
}, 60_000);

// `durafax start` holds the sandboxes and the Temporal UI: the database code is loaded only by
// the UI outside sandbox mode (support sessions), and the Stripe sandbox signs its webhooks
// itself; the app's side checks them with the library.
// The carrier sandbox reads a fax's pages with pdf-lib, loaded by the first fax it is sent.
test('durafax start loads neither the database code, the Stripe library nor pdf-lib', () => {
  const loaded = packagesLoadedBy('src/start/main.ts');
  expect(loaded).toEqual(expect.arrayContaining(['koa', '@temporalio/client']));
  for (const unneeded of ['typeorm', 'pg', 'stripe', '@temporalio/worker', 'mupdf', 'sharp', 'pdf-lib']) expect(loaded).not.toContain(unneeded);
}, 60_000);
