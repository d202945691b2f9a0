/**
 * @module
 * The `unit` layer runs without PostgreSQL (vitest.config.ts): its setup file (`unit-setup.ts`) makes any
 * attempt to connect to one (a `pg` Client or Pool, the embedded cluster's own checks) fail at once and say
 * how to move the test to a layer that has a database, instead of hanging or failing on a missing URL.
 */
import pg from 'pg';

/** A test in the `unit` project reached for PostgreSQL. */
export class NoTestClusterError extends Error {
  override readonly name = 'NoTestClusterError';
  constructor() {
    super(
      'This test uses PostgreSQL, but it runs in the unit project, which has none. Rename its file to ' +
        '*.integration.test.ts (or *.slow.test.ts); see vitest.config.ts.',
    );
  }
}

/** Makes every PostgreSQL connection of this test file fail with {@link NoTestClusterError}. */
export function refusePostgresConnections(): void {
  pg.Client.prototype.connect = function connect(callback?: (error: Error) => void) {
    const error = new NoTestClusterError();
    if (callback) {
      callback(error);
      return undefined as never;
    }
    return Promise.reject(error);
  } as typeof pg.Client.prototype.connect;
}
