/**
 * @module
 * The reader's ordinary (non-replication) connection: source checks, the heartbeat, slot positions and lag.
 */
import type pg from 'pg';
import { type Lsn, lsnToDecimal, parseLsn } from '../core/lsn.ts';
import { createClient } from '../postgres/connections.ts';
import { currentWalLsn, inspectSlot } from '../source/source-inspector.ts';
import { findSlot } from './source-setup.ts';

/** Waiting for the slot to show a position took too long. */
export class SlotConfirmationError extends Error {
  override readonly name = 'SlotConfirmationError';
}

/** The reader's ordinary (non-replication) connection: checks, heartbeat, lag queries. Reconnects lazily. */
export class ControlConnection {
  readonly #config: pg.ClientConfig;
  #client: Promise<pg.Client> | undefined;

  constructor(config: pg.ClientConfig) {
    this.#config = config;
  }

  async use<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    this.#client ??= (async () => {
      const client = createClient(this.#config, () => {
        this.#client = undefined;
      });
      await client.connect();
      return client;
    })();
    const pending = this.#client;
    try {
      return await work(await pending);
    } catch (error) {
      if (this.#client === pending) this.#client = undefined;
      await pending.then((client) => client.end()).catch(() => undefined);
      throw error;
    }
  }

  /** Writes a transactional logical message: our slot sees a commit even when the 11 tables are quiet. */
  heartbeat(): Promise<void> {
    return this.use(async (client) => {
      await client.query("SELECT pg_logical_emit_message(true, 'totesys-stream-heartbeat', $1)", [
        new Date().toISOString(),
      ]);
    });
  }

  confirmedFlush(slot: string): Promise<Lsn> {
    return this.use(async (client) => {
      const facts = await findSlot(client, slot);
      return facts?.confirmedFlushLsn ? parseLsn(facts.confirmedFlushLsn) : 0n;
    });
  }

  currentWalLsn(): Promise<Lsn> {
    return this.use(async (client) => parseLsn(await currentWalLsn(client)));
  }

  slotLagBytes(slot: string): Promise<number | null> {
    return this.use(async (client) => (await inspectSlot(client, slot))?.lagBytes ?? null);
  }

  /**
   * Polls until the slot shows `lsn` as confirmed (the walsender applies a status asynchronously). This wait is
   * on the server, not on the reader's schedule, so it runs on the wall clock even when the reader is given
   * another (reader/reader-run.ts): a manual clock would never let it end.
   */
  async waitForConfirmedFlush(slot: string, lsn: Lsn, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.confirmedFlush(slot)) < lsn) {
      if (Date.now() > deadline) {
        throw new SlotConfirmationError(
          `Slot "${slot}" did not confirm LSN ${lsnToDecimal(lsn)} within ${timeoutMs} ms.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    const pending = this.#client;
    this.#client = undefined;
    await pending?.then((client) => client.end()).catch(() => undefined);
  }
}
