import { Pollers, POLLER_TTL_MS } from '../../src/engine/handlers/pollers';

test('a poller is listed while it polls and for five minutes after, by identity, per queue and type', () => {
  const pollers = new Pollers();
  const done = pollers.polling('default', 'faxes', 'activity', 'worker-a', 50);
  const now = Date.now();
  expect(pollers.list('default', 'faxes', 'activity', now)).toEqual([{ identity: 'worker-a', lastAccessTime: now, ratePerSecond: 50 }]);
  expect(pollers.list('default', 'faxes', 'workflow', now)).toEqual([]);
  expect(pollers.list('other', 'faxes', 'activity', now)).toEqual([]);

  done();
  const finished = pollers.list('default', 'faxes', 'activity')[0].lastAccessTime;
  // A worker with several pollers is one entry; the real server's default rate when none is set.
  pollers.polling('default', 'faxes', 'workflow', 'worker-a', null)();
  pollers.polling('default', 'faxes', 'workflow', 'worker-a', null)();
  expect(pollers.list('default', 'faxes', 'workflow')).toEqual([expect.objectContaining({ identity: 'worker-a', ratePerSecond: 100_000 })]);

  expect(pollers.list('default', 'faxes', 'activity', finished + POLLER_TTL_MS - 1)).toHaveLength(1);
  expect(pollers.list('default', 'faxes', 'activity', finished + POLLER_TTL_MS + 1)).toEqual([]);
});
