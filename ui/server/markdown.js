// The markdown of a workflow's summary and details, for `durafax ui`'s /render route: the UI's
// Markdown frames ask the server to render it, as Temporal's own ui-server does. The package's
// render-markdown utility makes it sanitized HTML (no images, raw HTML or scripts; links open
// outside), the same as the UI's own server route.
import { process, render } from '@temporalio/ui/utilities/render-markdown';

export async function markdownToHtml(markdown) {
  return render(await process(markdown));
}
