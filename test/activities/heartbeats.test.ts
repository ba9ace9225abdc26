import { MockActivityEnvironment } from '@temporalio/testing';
import { whileBeating } from '../../src/activities/heartbeats';

afterEach(() => jest.useRealTimers());

test('an activity heartbeats every 5 s while its work runs, and stops when it ends', async () => {
  jest.useFakeTimers();
  const env = new MockActivityEnvironment();
  let beats = 0;
  env.on('heartbeat', () => beats++);
  const done = env.run(() => whileBeating(() => new Promise<string>((resolve) => setTimeout(() => resolve('sent'), 12_000))));
  await jest.advanceTimersByTimeAsync(12_000);
  await expect(done).resolves.toBe('sent');
  expect(beats).toBe(2);
  await jest.advanceTimersByTimeAsync(30_000);
  expect(beats).toBe(2);
});

test('a failing piece of work stops the heartbeats too', async () => {
  jest.useFakeTimers();
  const env = new MockActivityEnvironment();
  let beats = 0;
  env.on('heartbeat', () => beats++);
  const done = env.run(() => whileBeating(() => new Promise((_, reject) => setTimeout(() => reject(new Error('carrier down')), 6_000))));
  const outcome = expect(done).rejects.toThrow('carrier down');
  await jest.advanceTimersByTimeAsync(6_000);
  await outcome;
  await jest.advanceTimersByTimeAsync(30_000);
  expect(beats).toBe(1);
});
