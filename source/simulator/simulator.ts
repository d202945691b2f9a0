/**
 * @module
 * The live simulator: applies realistic business activity to the source at a steady rate of changes per
 * second (each change its own transaction, as the application does), or as fast as the source can take
 * (`burst`: many changes per transaction), and reports what it did when stopped.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { base, en, Faker } from '@faker-js/faker';
import type pg from 'pg';
import { createClient } from '../../postgres/connections.ts';
import { SeededRandom } from '../seed/seeded-random.ts';
import {
  ACTIVITY_WEIGHTS,
  type ActivityContext,
  type ActivityKind,
  applyActivity,
  loadSourceIds,
} from './activity.ts';
import { insertOrders, payPayments } from './bulk-changes.ts';

/** How to drive the source. */
export interface SimulatorOptions {
  /** Connection URL of the source (never printed). */
  readonly sourceUrl: string;
  /** Changes per second in steady mode (default 20). */
  readonly rate?: number;
  /** Drive the highest rate the source can take, `batchSize` changes per transaction. */
  readonly burst?: boolean;
  /** Changes per transaction in burst mode (default 200). */
  readonly batchSize?: number;
  /** The same seed gives the same sequence of change kinds and values (default: 1). */
  readonly seed?: number;
  /** Called when the loop stops because of an error (the source went away, say). */
  readonly onError?: (error: Error) => void;
}

/** What the simulator did. */
export interface SimulationSummary {
  /** Changes applied and committed, by kind. */
  readonly changes: Record<ActivityKind, number>;
  readonly totalChanges: number;
  /** Changes that found nothing to do (no unpaid payment, no unused design, ...). */
  readonly skipped: number;
  readonly transactions: number;
  /** Batches rolled back and tried again (deadlocks with other writers). */
  readonly retries: number;
  readonly elapsedMs: number;
}

const KINDS = Object.keys(ACTIVITY_WEIGHTS) as ActivityKind[];
/** deadlock_detected, serialization_failure, foreign_key_violation (a design deleted by another simulator). */
const RETRIABLE_CODES = new Set(['40P01', '40001', '23503']);
const MAX_ATTEMPTS = 5;
/** Kinds applied with one statement per batch when a transaction holds many changes. */
const BULK_KINDS = ['sales_order', 'purchase_order', 'payment_paid'] as const;
const TOTAL_WEIGHT = KINDS.reduce((sum, kind) => sum + ACTIVITY_WEIGHTS[kind], 0);

/**
 * Applies simulated activity until stopped.
 *
 * @example
 * const simulator = new Simulator({ sourceUrl, rate: 20 });
 * await simulator.start();
 * ...
 * const summary = await simulator.stop();
 */
export class Simulator {
  readonly #options: SimulatorOptions;
  readonly #random: SeededRandom;
  readonly #faker: Faker;
  #client: pg.Client | undefined;
  #context: { -readonly [K in keyof ActivityContext]: ActivityContext[K] } | undefined;
  #loop: Promise<void> | undefined;
  readonly #abort = new AbortController();
  #startedAt = 0;
  #changes = Object.fromEntries(KINDS.map((kind) => [kind, 0])) as Record<ActivityKind, number>;
  #skipped = 0;
  #transactions = 0;
  #retries = 0;

  constructor(options: SimulatorOptions) {
    this.#options = options;
    this.#random = new SeededRandom(options.seed ?? 1);
    this.#faker = new Faker({ locale: [en, base] });
    this.#faker.seed(options.seed ?? 1);
  }

  /** Connects and reads the ids to pick from; call before {@link step} or {@link start}. */
  async connect(): Promise<void> {
    if (this.#client) return;
    // A connection lost between queries surfaces here (postgres/connections.ts).
    const client = createClient({ connectionString: this.#options.sourceUrl }, (error) => {
      if (!this.#abort.signal.aborted) this.#options.onError?.(error);
    });
    await client.connect();
    this.#client = client;
    this.#context = { client, random: this.#random, faker: this.#faker, ids: await loadSourceIds(client) };
    this.#startedAt = performance.now();
  }

  /** Starts the background loop (steady rate, or burst). Returns once connected. */
  async start(): Promise<void> {
    await this.connect();
    this.#loop = (this.#options.burst ? this.#runBurst() : this.#runSteady()).catch((error: unknown) => {
      if (this.#abort.signal.aborted) return;
      this.#options.onError?.(
        error instanceof Error ? error : new Error('The simulator loop failed.', { cause: error }),
      );
    });
  }

  /** Applies `count` changes now, in one transaction, and waits for the commit (tests, benchmarks). */
  async step(count = 1): Promise<void> {
    await this.connect();
    await this.#applyBatch(count);
  }

  /** The counts so far. */
  summary(): SimulationSummary {
    return {
      changes: { ...this.#changes },
      totalChanges: KINDS.reduce((sum, kind) => sum + this.#changes[kind], 0),
      skipped: this.#skipped,
      transactions: this.#transactions,
      retries: this.#retries,
      elapsedMs: this.#startedAt === 0 ? 0 : performance.now() - this.#startedAt,
    };
  }

  /** Stops after the change in flight, closes the connection and returns what was done. */
  async stop(): Promise<SimulationSummary> {
    this.#abort.abort();
    await this.#loop;
    const summary = this.summary();
    await this.#client?.end().catch(() => undefined);
    this.#client = undefined;
    return summary;
  }

  async #runSteady(): Promise<void> {
    const rate = this.#options.rate ?? 20;
    if (!(rate > 0)) throw new RangeError(`The simulator rate must be above 0 changes/s (got ${rate}).`);
    const begun = performance.now();
    let applied = 0;
    while (!this.#abort.signal.aborted) {
      const due = Math.floor(((performance.now() - begun) / 1000) * rate) - applied;
      if (due <= 0) {
        const wait = Math.max(1, ((applied + 1) / rate) * 1000 - (performance.now() - begun));
        await delay(wait, undefined, { signal: this.#abort.signal }).catch(() => undefined);
        continue;
      }
      // Behind schedule: catch up, but one transaction per change, as the application would.
      for (let i = 0; i < Math.min(due, 1000) && !this.#abort.signal.aborted; i++) {
        await this.#applyBatch(1);
        applied++;
      }
    }
  }

  async #runBurst(): Promise<void> {
    const batchSize = this.#options.batchSize ?? 200;
    while (!this.#abort.signal.aborted) await this.#applyBatch(batchSize);
  }

  /** Applies `count` changes in one transaction; the counts only move once it committed. */
  async #applyBatch(count: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#tryBatch(count);
        return;
      } catch (error) {
        // Several simulators on one source (benchmarks) can deadlock on the same rows, or one can delete a
        // design another still has cached: roll back, refresh the ids, and try a fresh batch.
        const code = (error as { code?: string }).code;
        if (attempt >= MAX_ATTEMPTS || !(code && RETRIABLE_CODES.has(code)) || !this.#context) throw error;
        this.#retries++;
        this.#context.ids = await loadSourceIds(this.#context.client);
      }
    }
  }

  /** Applies `count` changes in one transaction; the counts only move once it committed. */
  async #tryBatch(count: number): Promise<void> {
    const context = this.#context;
    if (!context) throw new Error('The simulator is not connected; call connect() or start() first.');
    const done: ActivityKind[] = [];
    let skipped = 0;
    const kinds = Array.from({ length: count }, () => this.#pickKind());
    await context.client.query('BEGIN');
    try {
      if (count > 1) {
        // Many changes per transaction: the frequent kinds go in bulk, one statement per kind.
        for (const kind of BULK_KINDS) {
          const wanted = kinds.filter((picked) => picked === kind).length;
          const applied =
            kind === 'payment_paid'
              ? await payPayments(wanted, context)
              : await insertOrders(kind, wanted, context);
          for (let i = 0; i < applied; i++) done.push(kind);
          skipped += wanted - applied;
        }
      }
      for (const kind of kinds) {
        if (count > 1 && (BULK_KINDS as readonly string[]).includes(kind)) continue;
        if (await applyActivity(kind, context)) done.push(kind);
        else skipped++;
      }
      await context.client.query('COMMIT');
    } catch (error) {
      await context.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    for (const kind of done) this.#changes[kind]++;
    this.#skipped += skipped;
    this.#transactions++;
  }

  #pickKind(): ActivityKind {
    let roll = this.#random.next() * TOTAL_WEIGHT;
    for (const kind of KINDS) {
      roll -= ACTIVITY_WEIGHTS[kind];
      if (roll < 0) return kind;
    }
    return 'sales_order';
  }
}

/** The summary of several simulators run one after another (a supervisor restarts one that failed). */
export function combineSummaries(summaries: readonly SimulationSummary[]): SimulationSummary {
  const changes = Object.fromEntries(KINDS.map((kind) => [kind, 0])) as Record<ActivityKind, number>;
  let skipped = 0;
  let transactions = 0;
  let retries = 0;
  let elapsedMs = 0;
  for (const summary of summaries) {
    for (const kind of KINDS) changes[kind] += summary.changes[kind];
    skipped += summary.skipped;
    transactions += summary.transactions;
    retries += summary.retries;
    elapsedMs += summary.elapsedMs;
  }
  const totalChanges = KINDS.reduce((sum, kind) => sum + changes[kind], 0);
  return { changes, totalChanges, skipped, transactions, retries, elapsedMs };
}

/** One line per kind, for printing when the simulator stops. */
export function formatSummary(summary: SimulationSummary): string {
  const seconds = summary.elapsedMs / 1000;
  const rate = seconds > 0 ? summary.totalChanges / seconds : 0;
  const kinds = KINDS.filter((kind) => summary.changes[kind] > 0).map(
    (kind) => `  ${kind.padEnd(20)} ${summary.changes[kind]}`,
  );
  return [
    `Simulated ${summary.totalChanges} changes in ${summary.transactions} transactions over ${seconds.toFixed(1)} s ` +
      `(${rate.toFixed(1)} changes/s; ${summary.skipped} found nothing to change` +
      `${summary.retries > 0 ? `; ${summary.retries} batches retried after a deadlock` : ''}).`,
    ...kinds,
  ].join('\n');
}
