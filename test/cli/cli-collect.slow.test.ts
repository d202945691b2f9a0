import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordedApi, recorded, startRecordedApi } from '../support/recorded-api-server.ts';
import { runCli } from './run-cli.ts';

describe('collect fx --once', () => {
  let root: string;
  let api: RecordedApi;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'totesys-collect-'));
    api = await startRecordedApi({
      '/latest': [recorded('frankfurter-latest')],
    });
  });
  afterAll(async () => {
    await api.close();
    await rm(root, { recursive: true, force: true });
  });

  it('returns only after the rates are in the lake, and query shows exactly what the server served', async () => {
    const dataDir = join(root, 'dd');
    const collected = await runCli(['--data-dir', dataDir, 'collect', 'fx', '--once', '--api-url', api.url]);
    expect(collected.stderr).toBe('');
    expect(collected).toMatchObject({ code: 0, stdout: 'Collected 2 fx_rate rows (fx) into the lake.\n' });
    // No wait between the two: the collect command has returned, so the rows must already be in the lake.
    const query = await runCli([
      '--data-dir',
      dataDir,
      '--json',
      'query',
      'select rate_date, base_currency, quote_currency, rate, source from fx_rate order by quote_currency',
    ]);
    expect(query.code).toBe(0);
    expect(JSON.parse(query.stdout)).toEqual([
      {
        rate_date: '2026-11-27',
        base_currency: 'GBP',
        quote_currency: 'EUR',
        rate: '1.17120000',
        source: 'frankfurter',
      },
      {
        rate_date: '2026-11-27',
        base_currency: 'GBP',
        quote_currency: 'USD',
        rate: '1.26950000',
        source: 'frankfurter',
      },
    ]);
  });

  it('backfills with --from, and a re-fetch of the same days leaves one latest row per key', async () => {
    const dataDir = join(root, 'backfill');
    // The command asks from --from up to today: serve the recorded range on that path.
    const today = new Date().toISOString().slice(0, 10);
    const routed = await startRecordedApi({ [`/2026-11-26..${today}`]: [recorded('frankfurter-range')] });
    const args = [
      '--data-dir',
      dataDir,
      'collect',
      'fx',
      '--once',
      '--from',
      '2026-11-26',
      '--api-url',
      routed.url,
    ];
    try {
      expect((await runCli(args)).code).toBe(0);
      expect((await runCli(args)).code).toBe(0);
    } finally {
      await routed.close();
    }
    const all = await runCli(['--data-dir', dataDir, '--json', 'query', 'select count(*) as n from fx_rate']);
    const latest = await runCli([
      '--data-dir',
      dataDir,
      '--json',
      'query',
      "select count(*) as n, max(rate) filter (where rate_date = '2026-11-30' and quote_currency = 'USD') as usd from fx_rate_latest",
    ]);
    expect(JSON.parse(all.stdout)).toEqual([{ n: 12 }]);
    expect(JSON.parse(latest.stdout)).toEqual([{ n: 6, usd: '1.27302000' }]);
  });
});
