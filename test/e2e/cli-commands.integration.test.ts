import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../cli/main.ts';
import { parseLsn } from '../../core/lsn.ts';
import { type E2eWorld, openWorld } from './e2e-harness.ts';

let world: E2eWorld;

beforeEach(async () => {
  world = await openWorld(0.01);
  // The cluster is shared by every test file: this world's slot and publication names are its own.
  vi.stubEnv('TOTESYS_SLOT', world.slot);
  vi.stubEnv('TOTESYS_PUBLICATION', `${world.source.name}_pub`);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await world.close();
});

/** Runs the CLI in-process with this world's databases; returns what it printed on stdout. */
async function cli(...args: string[]): Promise<string> {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void out.push(String(line)));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    await buildProgram().parseAsync([
      'node',
      'totesys-stream',
      '--source-url',
      world.source.url,
      '--warehouse-url',
      world.warehouse.url,
      '--data-dir',
      world.dataDir,
      ...args,
    ]);
  } finally {
    write.mockRestore();
    vi.mocked(console.log).mockRestore();
  }
  return out.join('\n');
}

describe('sync, query, reconcile and status commands', () => {
  it('sync --json, then query, reconcile and status report the same warehouse', async () => {
    const summary = JSON.parse(await cli('--json', 'sync', '--timeout', '100'));
    const xy = expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(summary).toMatchObject({
      lsnFormat: 'X/Y',
      cutLsn: xy,
      targetLsn: xy,
      rowsLoaded: { fact_sales_order: 69 },
    });
    expect(summary.seconds).toBeGreaterThan(0);

    const rows = JSON.parse(
      await cli(
        'query',
        'SELECT count(DISTINCT sales_order_id) AS orders FROM fact_sales_order',
        '--format',
        'json',
      ),
    );
    // A count is an exact whole number, so a JSON number.
    expect(rows).toEqual([{ orders: 69 }]);
    const csv = await cli('query', 'SELECT currency_code FROM dim_currency ORDER BY 1', '--format', 'csv');
    expect(csv.trim().split('\n')).toEqual(['currency_code', 'EUR', 'GBP', 'USD']);

    const report = JSON.parse(await cli('--json', 'reconcile'));
    expect(report).toMatchObject({ lsnFormat: 'X/Y', cutLsn: xy, differences: [] });
    expect(parseLsn(report.cutLsn)).toBeGreaterThanOrEqual(parseLsn(summary.cutLsn));

    const status = JSON.parse(await cli('--json', 'status'));
    // reconcile caught the warehouse up to the source first: status shows the cut it compared at.
    expect(status).toMatchObject({ lsnFormat: 'X/Y', source: { lsn: xy } });
    expect(status.warehouse.cut).toMatchObject({ lsn: xy, commitTs: expect.any(String) });
    expect(parseLsn(status.warehouse.cut.lsn)).toBe(parseLsn(report.cutLsn));
    expect(status.warehouse.rows.fact_sales_order).toBe(69);
    expect(status.lag).toEqual({
      reader: expect.any(Number),
      lake: expect.any(Number),
      warehouse: expect.any(Number),
      endToEnd: expect.any(Number),
    });
    expect(status.source.lsn).toEqual(expect.any(String));
  });

  it('reconcile exits non-zero and names the table when the warehouse differs', async () => {
    await cli('sync');
    const { withClient } = await import('../support/test-databases.ts');
    await withClient(world.warehouse.url, (c) =>
      c.query(
        "UPDATE dim_design SET design_name = 'tampered' WHERE design_id = (SELECT min(design_id) FROM dim_design)",
      ),
    );
    await expect(cli('reconcile')).rejects.toThrow(/1 differences between source and warehouse/);
  });
});
