import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type Koa from 'koa';

/** What the UI build's markdown bundle exports (ui/server/markdown.js). */
interface MarkdownRenderer {
  markdownToHtml(markdown: string): Promise<string>;
}

/** Where the UI build puts the markdown bundle, inside the built UI (static.ts never serves it). */
const MARKDOWN_BUNDLE = path.join('_server', 'markdown.cjs');

/** Light and dark, as the UI's own colours for text, links and code. */
const STYLE = `
body{margin:0;padding:0 .25rem;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#141414;background:#fff;overflow-wrap:break-word}
body[data-theme=dark]{color:#f8fafc;background:#141414}
main>:first-child{margin-top:0}main>:last-child{margin-bottom:0}
p,ul,ol{margin:.25rem 0}strong{font-weight:600}
a{color:#444ce7}body[data-theme=dark] a{color:#a5b4fc}
code{font-family:ui-monospace,monospace;font-size:.9em;background:#e5e7eb;padding:0 .2em;border-radius:.2em}
body[data-theme=dark] code{background:#27272a}
`;

function page(html: string, theme: 'light' | 'dark', nonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rendered Markdown</title><base target="_blank">
<meta name="viewport" content="width=device-width, initial-scale=1"><style nonce="${nonce}">${STYLE}</style></head>
<body data-theme="${theme}"><main>${html}</main></body></html>`;
}

/**
 * GET /render?content=…&theme=…: the page the UI's Markdown frames load (a workflow's summary
 * and details, its current details), which Temporal's ui-server renders on the server. The
 * markdown comes from whoever started the workflow, so besides the sanitizing renderer the page
 * may run no script at all, and only this UI may frame it.
 */
export function markdownFrames(staticDir: string): Koa.Middleware {
  let renderer: MarkdownRenderer | undefined;
  return async (ctx, next) => {
    if (ctx.path !== '/render' || ctx.method !== 'GET') {
      await next();
      return;
    }
    if (!renderer) {
      try {
        // The bundle is CommonJS built with the UI (scripts/ui.js), loaded on first use.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        renderer = require(path.resolve(staticDir, MARKDOWN_BUNDLE)) as MarkdownRenderer;
      } catch {
        return ctx.throw(503, 'the Temporal UI is not built: run `npm run build`', { expose: true });
      }
    }
    const content = typeof ctx.query.content === 'string' ? ctx.query.content : '';
    const theme = ctx.query.theme === 'dark' ? 'dark' : 'light';
    const nonce = randomBytes(16).toString('base64url');
    ctx.set(
      'Content-Security-Policy',
      `base-uri 'self'; default-src 'none'; style-src 'nonce-${nonce}'; frame-ancestors 'self'; form-action 'none'; sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox`,
    );
    // The access layer denies all framing; this page exists to be framed by the UI.
    ctx.set('X-Frame-Options', 'SAMEORIGIN');
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = page(await renderer.markdownToHtml(content), theme, nonce);
  };
}
