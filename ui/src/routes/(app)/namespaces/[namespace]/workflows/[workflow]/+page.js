import { error, redirect } from '@sveltejs/kit';

import { fetchWorkflowForRunId } from '$lib/services/workflow-service';

/** A workflow without a run id opens its latest run. */
export async function load({ params, url }) {
  const { runId } = await fetchWorkflowForRunId({ namespace: params.namespace, workflowId: params.workflow });
  if (!runId) error(404, 'Workflow not found');
  redirect(302, `${url.pathname}/${runId}/history`);
}
