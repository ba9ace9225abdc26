import Router from '@koa/router';

export type ReadinessCheck = () => Promise<void>;

/**
 * `/healthz`: the process answers. `/readyz`: it can do its work (database and Temporal
 * reachable); load balancers send traffic only when ready.
 */
export function createHealthRoutes(checks: Record<string, ReadinessCheck>, timeoutMs = 3_000): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const results: Record<string, 'ok' | 'failing'> = {};
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
            }),
          ]);
          results[name] = 'ok';
        } catch {
          results[name] = 'failing';
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const ready = Object.values(results).every((r) => r === 'ok');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks: results };
  });
  return router;
}
