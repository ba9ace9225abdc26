/**
 * A worker in a process of its own, for the test that kills one with SIGKILL: no graceful
 * shutdown, so the engine only learns it is gone when its sticky tasks go unclaimed.
 * Args: <address> <taskQueue> <identity>. Prints "ready" once polling.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, Probe } from './activities';

async function main(): Promise<void> {
  const [address, taskQueue, identity] = process.argv.slice(2);
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    identity,
    workflowsPath: require.resolve('./workflows'),
    activities: createActivities(new Probe()),
    stickyQueueScheduleToStartTimeout: '1s',
  });
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
