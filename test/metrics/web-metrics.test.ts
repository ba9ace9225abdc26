import Router from '@koa/router';
import request from 'supertest';
import { silentLogger } from '../../src/log';
import { webMetricsMiddleware, type MetricsAccess } from '../../src/metrics/web-metrics';
import { createAppFrame } from '../../src/web/app';
import { sampleValue } from './scrape';

/** A web app as createApp mounts the metrics: in front of the routers. */
function app(access: MetricsAccess): ReturnType<typeof createAppFrame> {
  const frame = createAppFrame(silentLogger);
  const router = new Router();
  router.get('/api/faxes/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  router.post('/webhooks/telnyx', (ctx) => ctx.throw(400, 'bad signature'));
  frame.use(webMetricsMiddleware(access));
  frame.use(router.routes()).use(router.allowedMethods());
  return frame;
}

test('the web times requests by route pattern and counts webhook rejections', async () => {
  const server = app({ sandbox: true, token: null }).callback();
  const before = await request(server).get('/metrics');
  const count = (text: string): number => sampleValue(text, 'durafax_http_request_duration_seconds_count', { method: 'GET', route: '/api/faxes/:id', status: '200' }) ?? 0;
  const rejected = (text: string): number => sampleValue(text, 'durafax_webhook_rejections_total', { provider: 'telnyx', status: '400' }) ?? 0;

  for (const id of ['a', 'b', 'c']) expect((await request(server).get(`/api/faxes/${id}`)).status).toBe(200);
  expect((await request(server).post('/webhooks/telnyx')).status).toBe(400);
  expect((await request(server).get('/nowhere/at/all')).status).toBe(404);

  const after = await request(server).get('/metrics');
  expect(after.status).toBe(200);
  expect(after.headers['content-type']).toMatch(/^text\/plain/);
  // Three paths, one series: the pattern is the label, never the id.
  expect(count(after.text) - count(before.text)).toBe(3);
  expect(after.text).not.toContain('route="/api/faxes/a"');
  expect(rejected(after.text) - rejected(before.text)).toBe(1);
  expect(sampleValue(after.text, 'durafax_http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
  expect(sampleValue(after.text, 'durafax_web_process_resident_memory_bytes')).toBeGreaterThan(0);
});

test('outside sandbox mode /metrics needs METRICS_TOKEN, and does not exist without one', async () => {
  const closed = app({ sandbox: false, token: null }).callback();
  expect((await request(closed).get('/metrics')).status).toBe(404);
  const guarded = app({ sandbox: false, token: 'metrics-token-0123456789' }).callback();
  expect((await request(guarded).get('/metrics')).status).toBe(404);
  expect((await request(guarded).get('/metrics').set('Authorization', 'Bearer wrong-token')).status).toBe(404);
  const read = await request(guarded).get('/metrics').set('Authorization', 'Bearer metrics-token-0123456789');
  expect(read.status).toBe(200);
  expect(read.text).toContain('durafax_http_request_duration_seconds');
});
