import Router from '@koa/router';
import type { DocumentStore } from '../../db/document-store';
import type { Faxes } from '../../db/faxes';
import type { CreateFaxDeps } from '../create-fax';
import type { FaxWorkflows } from '../fax-workflows';
import { limitGlobally, limitPerFaxNumber, limitPerIp, type RateLimits } from '../middleware/rate-limit';
import type { UploadGate } from '../middleware/upload-gate';
import { requireFax } from '../middleware/require-fax';
import { cancelFaxHandler } from './cancel-fax';
import { createFaxHandler } from './create-fax';
import { openCheckoutHandler } from './open-checkout';
import { pageImageHandler } from './page-image';
import { readFaxHandler } from './read-fax';

export interface ApiDeps extends CreateFaxDeps {
  faxes: Faxes;
  store: DocumentStore;
  workflows: FaxWorkflows;
  limits: RateLimits;
  uploads: UploadGate;
}

/** The JSON API: create a fax, read it, pay for it, cancel it, and see its pages. */
export function createApiRoutes(deps: ApiDeps): Router {
  const fax = requireFax(deps.faxes, { cookieWrites: false });
  const router = new Router({ prefix: '/api' });
  router.post('/faxes', deps.uploads.admit(), limitPerIp(deps.limits, 'upload'), limitGlobally(deps.limits, 'uploadGlobal'), createFaxHandler(deps));
  router.get('/faxes/:id', fax, readFaxHandler(deps.faxes));
  router.post('/faxes/:id/checkout', limitPerIp(deps.limits, 'pay'), fax, limitPerFaxNumber(deps.limits, 'payPerNumber'), openCheckoutHandler(deps.workflows));
  router.post('/faxes/:id/cancel', limitPerIp(deps.limits, 'cancel'), fax, limitPerFaxNumber(deps.limits, 'cancelPerNumber'), cancelFaxHandler(deps.workflows));
  router.get('/faxes/:id/pages/:page', fax, pageImageHandler(deps.store));
  return router;
}
