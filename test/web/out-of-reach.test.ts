import { isOutOfReach } from '../../src/web/errors';

/** Found by the crash storm: a query on a connection PostgreSQL cut when it died was answered 500, not 503. */
test('a database connection reset by the server is a dependency out of reach; a client that went away is not', () => {
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
  expect(isOutOfReach(reset)).toBe(true);
  // As TypeORM wraps it.
  expect(isOutOfReach(Object.assign(new Error('read ECONNRESET'), { name: 'QueryFailedError', driverError: reset }))).toBe(true);
  // Node's error for an upload the client broke off.
  expect(isOutOfReach(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))).toBe(false);
  expect(isOutOfReach(new Error('something else'))).toBe(false);
});
