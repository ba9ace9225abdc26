import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { createActivities, Probe } from './activities';
import { id, workflowsPath } from './harness';

/** Worker Deployments (worker versioning) as a real server routes with them, seen from the SDK's versioned workers. */
const E = temporal.api.enums.v1;
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
const running: { worker: Worker; done: Promise<void> }[] = [];

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  bundle = await bundleWorkflowCode({ workflowsPath });
});
afterAll(async () => {
  for (const r of running) r.worker.shutdown();
  await Promise.all(running.map((r) => r.done));
  await env?.teardown();
});

async function versionedWorker(taskQueue: string, deploymentName: string, buildId: string): Promise<Worker> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: createActivities(new Probe()),
    workerDeploymentOptions: { version: { deploymentName, buildId }, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' },
  });
  running.push({ worker, done: worker.run() });
  return worker;
}

const svc = (): TestWorkflowEnvironment['connection']['workflowService'] => env.connection.workflowService;
const describeDeployment = (deploymentName: string) => svc().describeWorkerDeployment({ namespace: 'default', deploymentName });

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const statusOf = async (deploymentName: string, buildId: string): Promise<string | undefined> => {
  const info = (await describeDeployment(deploymentName)).workerDeploymentInfo;
  const summary = info?.versionSummaries?.find((v) => v.deploymentVersion?.buildId === buildId);
  return summary ? E.WorkerDeploymentVersionStatus[summary.status!] : undefined;
};
const completedTasks = async (workflowId: string): Promise<number> =>
  ((await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes).length;

test('a versioned worker gets nothing until its version is current; pinned workflows stay on it, auto-upgrade ones move to the next current version', async () => {
  const taskQueue = `versioned-${randomUUID()}`;
  const deploymentName = `fax-${randomUUID().slice(0, 8)}`;
  await versionedWorker(taskQueue, deploymentName, '1.0');
  const pinned = await env.client.workflow.start('buildIdAtEnd', { taskQueue, workflowId: id('pinned') });
  const upgrading = await env.client.workflow.start('buildIdAtEndAutoUpgrade', { taskQueue, workflowId: id('upgrading') });

  // The worker's polls register its version; with no current version, its tasks wait for unversioned workers.
  expect(
    await waitFor(
      'the version to register',
      () => statusOf(deploymentName, '1.0'),
      (s) => s === 'WORKER_DEPLOYMENT_VERSION_STATUS_INACTIVE',
    ),
  ).toBeTruthy();
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await completedTasks(pinned.workflowId)).toBe(0);

  const first = await svc().setWorkerDeploymentCurrentVersion({ namespace: 'default', deploymentName, buildId: '1.0', identity: 'ops' });
  expect(first.previousVersion).toBe('__unversioned__');
  await waitFor(
    'both first tasks',
    async () => (await completedTasks(pinned.workflowId)) + (await completedTasks(upgrading.workflowId)),
    (n) => n === 2,
  );
  const info = (await pinned.describe()).raw.workflowExecutionInfo?.versioningInfo;
  expect(info).toMatchObject({
    behavior: E.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED,
    deploymentVersion: { deploymentName, buildId: '1.0' },
    version: `${deploymentName}.1.0`,
  });
  expect((await upgrading.describe()).raw.workflowExecutionInfo?.versioningInfo?.behavior).toBe(E.VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE);
  const listed = await svc().countWorkflowExecutions({
    namespace: 'default',
    query: `TemporalWorkerDeploymentVersion = '${deploymentName}:1.0' AND TemporalWorkflowVersioningBehavior = 'Pinned'`,
  });
  expect(Number(listed.count)).toBe(1);

  await versionedWorker(taskQueue, deploymentName, '2.0');
  await waitFor(
    'the second version to register',
    () => statusOf(deploymentName, '2.0'),
    (s) => s === 'WORKER_DEPLOYMENT_VERSION_STATUS_INACTIVE',
  );
  const { conflictToken } = await describeDeployment(deploymentName);
  const second = await svc().setWorkerDeploymentCurrentVersion({ namespace: 'default', deploymentName, buildId: '2.0', conflictToken, identity: 'ops' });
  expect(second.previousDeploymentVersion).toMatchObject({ deploymentName, buildId: '1.0' });
  // A pinned workflow still runs there: the old version drains.
  expect(await statusOf(deploymentName, '1.0')).toBe('WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING');
  expect(await statusOf(deploymentName, '2.0')).toBe('WORKER_DEPLOYMENT_VERSION_STATUS_CURRENT');

  await pinned.signal('done');
  await upgrading.signal('done');
  expect(await pinned.result()).toBe('1.0');
  expect(await upgrading.result()).toBe('2.0');
  expect(await statusOf(deploymentName, '1.0')).toBe('WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED');
  // A stale conflict token is refused.
  const stale = await svc()
    .setWorkerDeploymentCurrentVersion({ namespace: 'default', deploymentName, buildId: '1.0', conflictToken, identity: 'someone else' })
    .catch((e: Error & { code?: number }) => e);
  expect(stale).toMatchObject({ code: 9, message: expect.stringContaining('conflict token mismatch') });
});

test('a ramp sends new workflows to the ramping version; an override pins a running workflow; the deployment lists and describes', async () => {
  const taskQueue = `ramped-${randomUUID()}`;
  const deploymentName = `fax-${randomUUID().slice(0, 8)}`;
  await versionedWorker(taskQueue, deploymentName, 'a');
  await versionedWorker(taskQueue, deploymentName, 'b');
  await waitFor(
    'both versions',
    () => describeDeployment(deploymentName),
    (d) => d.workerDeploymentInfo?.versionSummaries?.length === 2,
  );
  await svc().setWorkerDeploymentCurrentVersion({ namespace: 'default', deploymentName, buildId: 'a', identity: 'ops' });
  const current = await svc()
    .setWorkerDeploymentRampingVersion({ namespace: 'default', deploymentName, buildId: 'a', percentage: 10, identity: 'ops' })
    .catch((e: Error & { code?: number }) => e);
  expect(current).toMatchObject({ code: 9, message: expect.stringContaining('is already current') });
  await svc().setWorkerDeploymentRampingVersion({ namespace: 'default', deploymentName, buildId: 'b', percentage: 100, identity: 'ops' });
  const ramped = await env.client.workflow.start('buildIdAtEnd', { taskQueue, workflowId: id('ramped') });
  await ramped.signal('done');
  expect(await ramped.result()).toBe('b');

  await svc().setWorkerDeploymentRampingVersion({ namespace: 'default', deploymentName, identity: 'ops', percentage: 0 });
  const moved = await env.client.workflow.start('buildIdAtEnd', { taskQueue, workflowId: id('moved') });
  await waitFor(
    'its first task',
    () => completedTasks(moved.workflowId),
    (n) => n === 1,
  );
  expect((await moved.describe()).raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId).toBe('a');
  await svc().updateWorkflowExecutionOptions({
    namespace: 'default',
    workflowExecution: { workflowId: moved.workflowId },
    workflowExecutionOptions: { versioningOverride: { pinned: { behavior: 1, version: { deploymentName, buildId: 'b' } } } },
    updateMask: { paths: ['versioning_override'] },
    identity: 'ops',
  });
  await moved.signal('done');
  expect(await moved.result()).toBe('b');
  const events = (await moved.fetchHistory()).events ?? [];
  expect(events.find((e) => e.workflowExecutionOptionsUpdatedEventAttributes)?.workflowExecutionOptionsUpdatedEventAttributes?.versioningOverride?.pinned?.version).toMatchObject({
    buildId: 'b',
  });

  const list = await svc().listWorkerDeployments({ namespace: 'default' });
  expect(list.workerDeployments?.find((d) => d.name === deploymentName)?.routingConfig?.currentDeploymentVersion?.buildId).toBe('a');
  const version = await svc().describeWorkerDeploymentVersion({ namespace: 'default', deploymentVersion: { deploymentName, buildId: 'b' } });
  expect(version.workerDeploymentVersionInfo?.taskQueueInfos?.map((q) => q.name)).toEqual([taskQueue, taskQueue]);
  const queue = await svc().describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue } });
  expect(queue.versioningInfo?.currentDeploymentVersion?.buildId).toBe('a');
  expect(queue.pollers?.some((p) => p.deploymentOptions?.buildId === 'b')).toBe(true);
  const busy = await svc()
    .deleteWorkerDeploymentVersion({ namespace: 'default', deploymentVersion: { deploymentName, buildId: 'b' } })
    .catch((e: Error & { code?: number }) => e);
  expect(busy).toMatchObject({ code: 9, message: expect.stringContaining('Version cannot be deleted since it has active pollers.') });
  const missing = await describeDeployment('no-such-deployment').catch((e: Error & { code?: number }) => e);
  expect(missing).toMatchObject({ code: 5, message: expect.stringContaining('no Worker Deployment found with name no-such-deployment') });
});
