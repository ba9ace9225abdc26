import fs from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Where `npm run build` writes the prebuilt workflow bundle that production workers load. */
export const WORKFLOW_BUNDLE_PATH = path.join(__dirname, '..', 'workflow-bundle.js');

export async function buildWorkflowBundle(out = WORKFLOW_BUNDLE_PATH): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: undefined });
  await fs.writeFile(out, code);
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
