import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import { formatBytes } from '../../conversion/limits';
import { formatMoney, priceFor, type PriceTable } from '../../domain/pricing';
import { isUuid } from '../../domain/ids';
import type { Locale } from '../../domain/status';
import { t } from '../../i18n';
import { acceptFax, checkFaxForm, COVER_FIELDS, withFaxUpload, type CreateFaxDeps, type FaxForm } from '../create-fax';
import { HttpProblem } from '../errors';
import { CSRF_FIELD, CSRF_HEADER, verifyCsrf } from '../middleware/csrf';
import { localeOf } from '../middleware/locale';
import type { RateLimits } from '../middleware/rate-limit';
import { setFaxCookie } from '../middleware/require-fax';
import { statusPagePath } from '../page-paths';
import { countryName, countryOptions, durationWords } from './format';
import type { PageRenderer } from './render';

export interface HomeDeps {
  renderer: PageRenderer;
  create: CreateFaxDeps;
  limits: RateLimits;
  prices: PriceTable;
  maxPages: number;
  retentionMs: number;
  secureCookies: boolean;
}

/** File types the converter takes, for the file picker's filter. */
const ACCEPT = '.pdf,.png,.jpg,.jpeg,.tif,.tiff,.gif,.webp,.bmp,.txt,.docx,.odt,.rtf,.doc,application/pdf,image/*,text/plain';

/** A country to preselect: the region of the visitor's preferred language, else the language's home. */
function defaultCountry(ctx: Koa.Context, locale: Locale, served: readonly string[]): string {
  const region = /^[a-z]{2}-([A-Z]{2})\b/i.exec(ctx.get('Accept-Language'))?.[1]?.toUpperCase();
  if (region && served.includes(region)) return region;
  const home: Record<Locale, string> = { en: 'GB', de: 'DE', fr: 'FR' };
  return served.includes(home[locale]) ? home[locale] : served[0];
}

function renderHome(ctx: Koa.Context, deps: HomeDeps, form: FaxForm, problems: HttpProblem[], status = 200): void {
  const locale = localeOf(ctx);
  const fieldError: Record<string, string> = {};
  const errors = problems.map((p) => ({ field: p.field, message: p.translated(locale) }));
  for (const e of errors) if (e.field && !fieldError[e.field]) fieldError[e.field] = e.message;
  const served = deps.create.allowedCountries;
  const country = defaultCountry(ctx, locale, served);
  const example = priceFor(country, 1, deps.prices);
  deps.renderer.render(
    ctx,
    'home',
    {
      title: t(locale, 'page.home.html_title'),
      section: 'send',
      form: { country, to: '', email: '', paper: 'auto', ...Object.fromEntries(Object.keys(COVER_FIELDS).map((k) => [k, ''])), ...form },
      errors,
      fieldError,
      countries: countryOptions(served, locale),
      coverFields: Object.entries(COVER_FIELDS).map(([name, f]) => ({ name, max: f.max, multiline: name === 'cover_message' })),
      coverOpen: Object.keys(COVER_FIELDS).some((k) => !!form[k]) || !!fieldError.paper,
      accept: ACCEPT,
      maxBytes: deps.create.maxUploadBytes,
      maxSize: formatBytes(deps.create.maxUploadBytes),
      maxPages: deps.maxPages,
      examplePrice: formatMoney(example.amount, example.currency, locale),
      exampleCountry: countryName(country, locale),
      retention: durationWords(deps.retentionMs, locale),
      // One key per form shown: sending the same form twice (a double click, a retry after a
      // lost answer) gives the same fax, not a second one.
      formKey: randomUUID(),
    },
    status,
  );
}

/** GET /{lang}/: the one form. */
export function homePage(deps: HomeDeps): Koa.Middleware {
  return async (ctx) => renderHome(ctx, deps, {}, []);
}

/** The page script uploads with XMLHttpRequest (for a progress bar) and asks for JSON answers. */
function wantsJson(ctx: Koa.Context): boolean {
  return ctx.get('Accept').includes('application/json');
}

/**
 * POST /{lang}/faxes: the form's upload. Checked like the API's (the same code), then the
 * sender gets the fax's cookie and goes to its page. Problems come back beside their
 * fields — all at once — as the form again, or as JSON for the page script.
 */
export function submitFax(deps: HomeDeps): Koa.Middleware {
  return async (ctx) => {
    // The script sends the CSRF token as a header: checked before the upload is read.
    const headerToken = ctx.get(CSRF_HEADER);
    if (headerToken) verifyCsrf(ctx, headerToken);
    const fax = await withFaxUpload(ctx, deps.create, async ({ fields, files }) => {
      if (!headerToken) verifyCsrf(ctx, fields[CSRF_FIELD]);
      const checked = checkFaxForm(ctx, fields, files, deps.create.allowedCountries);
      if (checked.ok) {
        await deps.limits.consume('uploadPerNumber', checked.request.toNumber);
        return acceptFax(deps.create, checked.request, isUuid(fields.idempotency_key) ? `form:${fields.idempotency_key}` : null);
      }
      const form = Object.fromEntries(Object.entries(fields).filter(([k]) => k !== CSRF_FIELD));
      const status = Math.max(...checked.problems.map((p) => p.status));
      if (wantsJson(ctx)) {
        const locale = localeOf(ctx);
        ctx.status = status;
        ctx.body = { errors: checked.problems.map((p) => ({ field: p.field, code: p.code, message: p.translated(locale) })) };
      } else {
        renderHome(ctx, deps, form, checked.problems, status);
      }
      return null;
    });
    if (!fax) return;
    setFaxCookie(ctx, fax.id, fax.token, deps.secureCookies);
    const location = statusPagePath(fax);
    if (wantsJson(ctx)) {
      ctx.status = 201;
      ctx.body = { id: fax.id, location };
      return;
    }
    ctx.status = 303;
    ctx.redirect(location);
  };
}

/** Shows an upload problem on the form page (413 while streaming, 429) instead of a bare error page. */
export function uploadProblemsAsForm(deps: HomeDeps): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof HttpProblem) || !err.field || wantsJson(ctx)) throw err;
      for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v);
      renderHome(ctx, deps, {}, [err], err.status);
    }
  };
}
