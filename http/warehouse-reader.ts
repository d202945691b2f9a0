/**
 * @module
 * How the HTTP app reads the warehouse: a small pool whose sessions are read only
 * (`default_transaction_read_only`, on top of whatever the role allows), and one REPEATABLE READ transaction
 * per answer, so every figure of one answer is taken at the same cut. The app never writes: give it a
 * read-only role where the warehouse is shared (README "The dashboard and the API").
 */
import type pg from 'pg';
import { LOAD_NOTIFICATION_CHANNEL } from '../core/schema/warehouse-tables.ts';
import { createClient, createPool } from '../postgres/connections.ts';

/** Where the warehouse is. */
export interface WarehouseReaderOptions {
  /** A `postgres://` URL, or a full client configuration (TLS, a password from Secrets Manager). */
  readonly connection: string | pg.ClientConfig;
  /** @default 4 */
  readonly maxConnections?: number;
}

/** Read-only transactions on the warehouse, and the loader's load notifications. */
export class WarehouseReader {
  readonly #pool: pg.Pool;
  readonly #config: pg.ClientConfig;

  constructor(options: WarehouseReaderOptions) {
    const base =
      typeof options.connection === 'string' ? { connectionString: options.connection } : options.connection;
    this.#config = { ...base, options: '-c default_transaction_read_only=on' };
    this.#pool = createPool({ ...this.#config, max: options.maxConnections ?? 4 });
  }

  /**
   * Runs `work` in one REPEATABLE READ, READ ONLY transaction: everything it reads is one snapshot of the
   * warehouse, hence one cut (the loader records the cut in the same transaction as the rows).
   */
  async read<T>(work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }

  /**
   * Calls `onLoad` whenever a load commits (the loader notifies {@link LOAD_NOTIFICATION_CHANNEL} inside its
   * transaction, so the notification arrives only once the load is visible). The listening connection is
   * opened again after it breaks; `onLoad` is also called then, since loads may have been missed meanwhile.
   * Returns a function that stops listening.
   */
  listenForLoads(onLoad: () => void, onError: (error: Error) => void = () => undefined): () => Promise<void> {
    let stopped = false;
    let client: pg.Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      if (stopped) return;
      const next = createClient(this.#config, (error) => {
        onError(error);
        reconnect();
      });
      next.on('notification', () => onLoad());
      try {
        await next.connect();
        await next.query(`LISTEN ${LOAD_NOTIFICATION_CHANNEL}`);
      } catch (error) {
        await next.end().catch(() => undefined);
        onError(error as Error);
        reconnect();
        return;
      }
      if (stopped) {
        await next.end().catch(() => undefined);
        return;
      }
      client = next;
      onLoad();
    };
    const reconnect = () => {
      const broken = client;
      client = undefined;
      void broken?.end().catch(() => undefined);
      if (stopped || retry) return;
      retry = setTimeout(() => {
        retry = undefined;
        void connect();
      }, 1000);
    };
    void connect();
    return async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
