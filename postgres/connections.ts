/**
 * @module
 * Every PostgreSQL client and pool the product opens is made here, so none can end the process when its
 * connection drops. node-postgres reports a connection the server closed (a restart, `pg_terminate_backend`,
 * a network cut) twice: the query in flight, if any, rejects, and the client emits `'error'`. An `'error'`
 * event with no listener is thrown by Node's EventEmitter, outside any caller's `try`, as an uncaught
 * exception: a database restart under `up` used to end it that way from whichever client happened to be open
 * (the chaos benchmark's exits, README "What it guarantees"). pg-pool adds its own listener only while a client
 * is idle in the pool and removes it while the client is checked out, so a pool needs one on each client too.
 *
 * The listener here only hears the loss; whoever uses the connection learns of it from the failed query (or
 * the next one, which rejects at once on a closed client), as before. `onLoss` is for the few that keep a
 * connection open between queries and must know it is gone (a LISTEN, a cached control connection).
 * `test/tools/pg-connections.test.ts` fails when a product file constructs a client or pool elsewhere.
 */
import pg from 'pg';

/** Called when an open connection is lost; the query in flight, if any, rejects on its own. */
export type ConnectionLoss = (error: Error) => void;

const IGNORE_LOSS: ConnectionLoss = () => undefined;

/**
 * A new, unconnected client (call `connect()`), whose lost connection is reported to `onLoss` (by default
 * nowhere: the failing query says it) instead of ending the process.
 */
export function createClient(
  config: string | pg.ClientConfig,
  onLoss: ConnectionLoss = IGNORE_LOSS,
): pg.Client {
  const client = new pg.Client(config);
  client.on('error', onLoss);
  return client;
}

/**
 * A new pool whose idle and checked-out clients both report a lost connection to `onLoss` instead of ending
 * the process; the pool drops a broken idle client by itself and opens another for the next query.
 */
export function createPool(config: pg.PoolConfig, onLoss: ConnectionLoss = IGNORE_LOSS): pg.Pool {
  const pool = new pg.Pool(config);
  // Every client of the pool reports its loss itself, idle or checked out (pg-pool detaches its own
  // listener while a client is out).
  pool.on('connect', (client) => client.on('error', onLoss));
  // An idle client's loss is also re-emitted on the pool, once pg-pool has dropped the client: already reported.
  pool.on('error', IGNORE_LOSS);
  return pool;
}
