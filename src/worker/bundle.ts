import fs from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Where `npm run build` writes the prebuilt workflow bundle that production workers load. */
export const WORKFLOW_BUNDLE_PATH = path.join(__dirname, '..', 'workflow-bundle.js');

const SOURCE_MAP_COMMENT = '//# sourceMappingURL=data:';
const BASE64 = 'base64,';

/** Every UTF-16 code unit above U+00FF, written as a `\uXXXX` escape. */
const escapeAboveLatin1 = (text: string): string => text.replace(/[\u0100-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * The bundle as a worker should hold it. The worker keeps the bundle's text in its main thread
 * and its workflow thread, and V8 stores a string with one character above U+00FF (an arrow or
 * a dash in a comment) at two bytes a character; the inline source map carries every source
 * file's text (`sourcesContent`), which only the SDK's `showStackTraceSources` reads, and
 * Durafax leaves it off. So: characters above U+00FF in the code are written as `\uXXXX`
 * escapes (the same value in a string, a regular expression or a comment; only a template's
 * raw text would differ), and the source map loses `sourcesContent` but keeps its mappings,
 * so workflow stack traces still name the TypeScript files and lines. 1.8 MB of two-byte text
 * becomes 0.9 MB of one-byte text, 7–12 MB less in a worker at rest (bench/README.md).
 */
export function leanWorkflowBundle(code: string): string {
  const comment = code.lastIndexOf(SOURCE_MAP_COMMENT);
  const data = comment < 0 ? -1 : code.indexOf(BASE64, comment);
  if (data < 0) return escapeAboveLatin1(code);
  const map = JSON.parse(Buffer.from(code.slice(data + BASE64.length).trim(), 'base64').toString('utf8')) as Record<string, unknown>;
  delete map.sourcesContent;
  const encoded = Buffer.from(JSON.stringify(map), 'utf8').toString('base64');
  return `${escapeAboveLatin1(code.slice(0, comment))}${code.slice(comment, data + BASE64.length)}${encoded}\n`;
}

export async function buildWorkflowBundle(out = WORKFLOW_BUNDLE_PATH): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: undefined });
  await fs.writeFile(out, leanWorkflowBundle(code));
}

if (require.main === module) {
  buildWorkflowBundle().then(
    () => process.stdout.write(`workflow bundle written to ${path.relative(process.cwd(), WORKFLOW_BUNDLE_PATH)}\n`),
    (err: unknown) => {
      process.stderr.write(`could not bundle the workflows: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
