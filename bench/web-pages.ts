/**
 * The sender's pages under load: requests per second and latency (p50, p99) of the home page
 * and of a delivered fax's status page at 50 connections, beside a bare Koa handler in its
 * own process in the same run, and the web process's memory at rest, at its peak under that
 * load and after it. Run: `npm run build && node -r ./src/conversion/child/register-ts.js bench/web-pages.ts`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import autocannon from 'autocannon';
import { freePort } from '../src/net';
import { DELIVERED_NUMBER, FaxApi, ONE_PAGE_LETTER, completed, payByCard, quoted } from './fax-client';
import { memoryOf } from './fax-processes';
import { withStack } from './fax-stack';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(name: string, url: string, headers: Record<string, string> = {}): Promise<Row> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

/** A Koa app that answers a short HTML page and nothing else, in a process of its own like the web's. */
async function bareKoa(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const koa = path.join(__dirname, '..', 'node_modules', 'koa');
  const code = `const Koa = require(${JSON.stringify(koa)}); const app = new Koa();
    app.use((ctx) => { ctx.type = 'html'; ctx.body = '<!doctype html><title>ok</title><p>ok</p>'; });
    app.listen(${port}, '127.0.0.1', () => console.log('ready'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return { url: `http://127.0.0.1:${port}/`, stop: () => child.kill() };
}

function mb(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? '—' : `${value.toFixed(1)} MB`;
}

async function main(): Promise<void> {
  await withStack({ msPerPage: 0, env: { RATE_LIMITS: 'upload=1000/1h,pay=1000/1h' } }, async (stack) => {
    const api = new FaxApi(stack.webUrl);
    const fax = await api.create(ONE_PAGE_LETTER, DELIVERED_NUMBER);
    await api.waitFor(fax, 'the quote', quoted, 50);
    await payByCard(await api.checkout(fax));
    await api.waitFor(fax, 'delivery', completed, 50);
    const cookie = { Cookie: `fax_${fax.id}=${fax.token}` };
    const statusUrl = `${stack.webUrl}/en/faxes/${fax.id}`;
    const check = await fetch(statusUrl, { headers: cookie });
    if (check.status !== 200 || !(await check.text()).includes('data-status="delivered"')) throw new Error('the status page does not show the delivered fax');

    const webPid = stack.processes().web;
    if (!webPid) throw new Error('no web process found');
    await delay(2_000);
    const rest = memoryOf(webPid);
    const bare = await bareKoa();
    const rows: Row[] = [];
    try {
      // Warm-up, so the first measured run does not pay for template compilation and JIT.
      await autocannon({ url: `${stack.webUrl}/en/`, connections: 10, duration: 2 });
      rows.push(await load('bare Koa handler (baseline)', bare.url));
      rows.push(await load('home page  GET /en/', `${stack.webUrl}/en/`));
      rows.push(await load('status page GET /en/faxes/:id (delivered)', statusUrl, cookie));
      rows.push(await load('health      GET /healthz', `${stack.webUrl}/healthz`));
    } finally {
      bare.stop();
    }
    const loaded = memoryOf(webPid);
    await delay(5_000);
    const after = memoryOf(webPid);

    process.stdout.write(`\n${CONNECTIONS} connections, ${SECONDS} s each, on ${stack.webUrl} (the load generator runs in this process)\n\n`);
    process.stdout.write(`${'what'.padEnd(44)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)} ${'non-2xx'.padStart(8)}\n`);
    for (const r of rows) {
      process.stdout.write(
        `${r.name.padEnd(44)} ${r.rps.toFixed(0).padStart(9)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(8)} ${String(r.errors).padStart(7)} ${String(r.non2xx).padStart(8)}\n`,
      );
    }
    process.stdout.write(`\nweb process memory: at rest ${mb(rest?.rssMb)}, peak under load ${mb(loaded?.peakMb)}, 5 s after ${mb(after?.rssMb)}\n`);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
