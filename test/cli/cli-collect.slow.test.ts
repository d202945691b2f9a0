import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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

  it('collect files: a file that fits reaches the lake, one that does not goes whole to the error location', async () => {
    const dataDir = join(root, 'files');
    const drop = join(root, 'drop');
    await mkdir(join(drop, 'economic_observation'), { recursive: true });
    await mkdir(join(drop, 'fx_rate'), { recursive: true });
    await writeFile(
      join(drop, 'economic_observation', 'cpi.json'),
      JSON.stringify([
        { observation_date: '2026-11-27', series_id: 'CPIAUCSL', value: '315.605' },
        { observation_date: '2026-11-28', series_id: 'CPIAUCSL', value: null },
      ]),
    );
    await writeFile(
      join(drop, 'fx_rate', 'bad.json'),
      JSON.stringify([
        { rate_date: '2026-11-27', base_currency: 'GBP', quote_currency: 'JPY', rate: '191.5' },
        { rate_date: '2026-11-27', base_currency: 'GBP', quote_currency: 'CHF', rate: 'one point one' },
      ]),
    );
    const collected = await runCli(['--data-dir', dataDir, 'collect', 'files', '--dir', drop, '--once']);
    expect(collected).toMatchObject({ code: 0, stdout: 'Collected 2 rows from 1 files; 1 refused.\n' });
    expect(collected.stderr).toMatch(/a dropped file does not fit its table; it is under the error prefix/);
    const query = await runCli([
      '--data-dir',
      dataDir,
      '--json',
      'query',
      'select observation_date, series_id, value, source from economic_observation order by 1',
    ]);
    expect(JSON.parse(query.stdout)).toEqual([
      { observation_date: '2026-11-27', series_id: 'CPIAUCSL', value: '315.60500000', source: 'files' },
      { observation_date: '2026-11-28', series_id: 'CPIAUCSL', value: null, source: 'files' },
    ]);
    // Nothing of the refused file reached the lake: not even its good row.
    const fx = await runCli(['--data-dir', dataDir, '--json', 'query', 'select count(*) as n from fx_rate']);
    expect(JSON.parse(fx.stdout)).toEqual([{ n: 0 }]);
    const errors = await runCli(['--data-dir', dataDir, 'errors', 'list']);
    expect(errors.stdout).toContain('errors/fx_rate/files-failed/');
    expect(errors.stdout).toContain('row 2 of 2: Column "rate" (decimal(18,8))');
    expect(await readdir(join(drop, 'fx_rate'))).toEqual([]);
    expect(await readdir(join(drop, 'processed', 'economic_observation'))).toEqual(['cpi.json']);
  });
});
