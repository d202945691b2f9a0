import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextTradingDay } from '../../forecast/gold-features.ts';
import {
  createSourceDatabase,
  createTestDatabase,
  type TestDatabase,
  withClient,
} from '../support/test-databases.ts';
import { runCli } from './run-cli.ts';

/** About 380 trading days before today: enough for the default minimum of 120. */
const FROM = new Date(Date.now() - 550 * 86_400_000).toISOString().slice(0, 10);

describe('forecast gold', () => {
  let root: string;
  let dataDir: string;
  let source: TestDatabase;
  let warehouse: TestDatabase;
  let urls: string[];
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'totesys-forecast-'));
    dataDir = join(root, 'dd');
    source = await createSourceDatabase('fcsrc');
    warehouse = await createTestDatabase('fcwh');
    urls = ['--data-dir', dataDir, '--source-url', source.url, '--warehouse-url', warehouse.url];
    // The synthetic market into the lake, as `up` collects it offline.
    for (const collector of ['equities', 'fx', 'fred']) {
      const collected = await runCli([
        ...urls,
        'collect',
        collector,
        '--synthetic',
        '--once',
        '--from',
        FROM,
      ]);
      expect(collected, collected.stderr).toMatchObject({ code: 0 });
    }
  });
  afterAll(async () => {
    await source?.drop();
    await warehouse?.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('saves the next trading day in the warehouse, with its window and metadata, as printed', async () => {
    const run = await runCli([...urls, '--json', '--progress', 'forecast', 'gold']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('forecast: training the model');
    const { prediction, write } = JSON.parse(run.stdout);
    expect(write).toBe('inserted');
    const lake = await runCli([
      ...urls,
      '--json',
      'query',
      "select cast(max(price_date) as varchar) as day, max_by(close, price_date) as close from market_price_latest where symbol = 'GLD'",
    ]);
    const [{ day, close }] = JSON.parse(lake.stdout);
    const rows = await withClient(
      warehouse.url,
      async (client) =>
        (
          await client.query(
            `SELECT model, to_char(target_date, 'YYYY-MM-DD') AS target_date, symbol, source, currency,
                  predicted_close::text AS predicted_close, last_close::text AS last_close,
                  to_char(last_price_date, 'YYYY-MM-DD') AS last_price_date, to_char(training_to, 'YYYY-MM-DD') AS training_to,
                  training_rows, library
             FROM market.price_forecast`,
          )
        ).rows,
    );
    expect(rows).toEqual([
      {
        model: 'gold-xgboost',
        target_date: nextTradingDay(day),
        symbol: 'GLD',
        source: 'synthetic',
        currency: 'USD',
        predicted_close: prediction.predictedClose,
        last_close: close,
        last_price_date: day,
        training_to: day,
        training_rows: prediction.trainingRows,
        library: 'ml-xgboost 1.1.2',
      },
    ]);
    expect(prediction.trainingRows).toBeGreaterThanOrEqual(120);
  });

  it('is idempotent: a re-run on the same lake writes nothing and says so', async () => {
    const run = await runCli([...urls, 'forecast', 'gold']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\(SYNTHETIC market data\)/);
    expect(run.stdout).toMatch(/same as the saved prediction in market\.price_forecast/);
    const count = await withClient(
      warehouse.url,
      async (client) => (await client.query('SELECT count(*)::int AS n FROM market.price_forecast')).rows,
    );
    expect(count).toEqual([{ n: 1 }]);
  });

  it('refuses too little history, saying how many days there are and how many it needs', async () => {
    const run = await runCli([
      ...urls,
      'forecast',
      'gold',
      '--minimum-days',
      '5000',
      '--training-days',
      '5000',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not enough history: \d+ days, need 5000/);
  });

  it('says what to collect when the lake has no market data', async () => {
    const empty = await createTestDatabase('fcempty');
    await mkdir(join(root, 'empty'));
    try {
      const run = await runCli([
        '--data-dir',
        join(root, 'empty'),
        '--source-url',
        source.url,
        '--warehouse-url',
        empty.url,
        'forecast',
        'gold',
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/market_price GLD.*collect equities --once/);
    } finally {
      await empty.drop();
    }
  });
});
