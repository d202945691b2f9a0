import { describe, expect, it } from 'vitest';
import { formatLoadStatus } from '../../local/pipeline-service.ts';
import { formatPipelineStatus, type PipelineStatus } from '../../local/pipeline-status.ts';

const CUT = { lsn: '62338631', commitTs: '2026-11-22T10:00:00.000Z' };
const EMPTY_WAREHOUSE: PipelineStatus['warehouse'] = {
  cut: { lsn: null, commitTs: null, loadedAt: null },
  rows: {},
  lagSeconds: null,
};

/** A status with this warehouse and these reader figures, the rest quiet. */
function statusWith(
  warehouse: PipelineStatus['warehouse'],
  reader: Partial<PipelineStatus['reader']> = {},
): PipelineStatus {
  return {
    reader: {
      slot: 'totesys_stream',
      lagBytes: 0,
      active: true,
      lagSeconds: null,
      snapshotPending: [],
      tables: [],
      schemaDrift: [],
      setAside: [],
      ...reader,
    },
    lake: { lagSeconds: {}, errorsWaiting: {}, quarantined: [] },
    spool: { quarantined: [] },
    warehouse,
    lag: { reader: 0, lake: null, warehouse: warehouse.lagSeconds, endToEnd: null },
    endToEnd: { p50: null, p95: null, max: null },
  };
}

describe('human status output', () => {
  it("shows the warehouse cut in PostgreSQL's X/Y form in up's status line", () => {
    expect(
      formatLoadStatus({ status: 'unchanged', fromCut: CUT, cutLsn: CUT.lsn, watermarks: [], waiting: [] }),
    ).toBe('warehouse cut 0/3B73647');
    expect(formatLoadStatus(undefined)).toBe('warehouse: waiting for the first load');
  });

  it('shows the cut in X/Y form in status', () => {
    const status = statusWith({
      cut: { lsn: CUT.lsn, commitTs: CUT.commitTs, loadedAt: null },
      rows: {},
      lagSeconds: 0,
    });
    // The JSON form is what readPipelineStatus returns; test/e2e/cli-commands.integration.test.ts checks it.
    expect(formatPipelineStatus(status)).toContain('warehouse cut 0/3B73647 (commit');
    expect(formatPipelineStatus(status)).not.toContain('DAMAGED');
    const withErrors = {
      ...status,
      lake: { lagSeconds: {}, errorsWaiting: { dim_currency: 2 }, quarantined: [] },
    };
    expect(formatPipelineStatus(withErrors)).toContain(
      '2 error objects waiting under errors/dim_currency/ (see `totesys-stream errors list`)',
    );
    const damaged = { ...status, spool: { quarantined: ['/d/firehose-spool/s/000000000001.seg.8.corrupt'] } };
    expect(formatPipelineStatus(damaged)).toContain(
      'spool   DAMAGED bytes quarantined in /d/firehose-spool/s/000000000001.seg.8.corrupt',
    );
  });

  it('shows each table’s state, since when and at which LSN, and why and what to do under an errored one', () => {
    const status = statusWith(EMPTY_WAREHOUSE, {
      snapshotPending: ['payment'],
      tables: [
        { table: 'currency', state: 'copied', since: '2026-11-22T10:00:00.000Z', lsn: CUT.lsn },
        { table: 'department', state: 'pending', since: null, lsn: null },
        {
          table: 'payment',
          state: 'errored',
          since: '2026-11-22T10:00:01.000Z',
          lsn: null,
          reason: 'The change stream refused the put.',
          remedy: 'The next run of the reader copies the table again.',
        },
      ],
    });

    const lines = formatPipelineStatus(status).split('\n');

    expect(lines.slice(1, 6)).toEqual([
      'tables  currency    copied at 0/3B73647 since 2026-11-22T10:00:00.000Z',
      '        department  pending',
      '        payment     errored since 2026-11-22T10:00:01.000Z',
      '         reason: The change stream refused the put.',
      '         remedy: The next run of the reader copies the table again.',
    ]);
  });

  it('names each drifted source table with what differs, and each set-aside change with its LSN and object', () => {
    const status = statusWith(EMPTY_WAREHOUSE, {
      schemaDrift: [
        {
          table: 'design',
          added: ['design_label'],
          dropped: ['design_name'],
          retyped: [],
          renamed: { from: 'design_name', to: 'design_label' },
          seenIn: 'stream',
          seenAt: '2026-11-22T10:00:00.000Z',
        },
        {
          table: 'currency',
          added: ['symbol'],
          dropped: [],
          retyped: [{ column: 'currency_code', expected: 'character varying(3)', actual: 'text' }],
          seenIn: 'catalog',
          seenAt: '2026-11-22T10:00:00.000Z',
        },
      ],
      setAside: [
        {
          table: 'design',
          lsn: '0/3B73647',
          object: 'errors/dim_design/reader-failed/2026/11/22/00/62338631-3.json',
        },
      ],
    });

    const lines = formatPipelineStatus(status).split('\n');

    expect(lines).toContain(
      '        schema drift in source table design: column design_name renamed to design_label? (see the README, Schema drift)',
    );
    expect(lines).toContain(
      '        schema drift in source table currency: added symbol; currency_code is text, not character varying(3) (see the README, Schema drift)',
    );
    expect(lines).toContain(
      "        set aside (too large to ship) at 0/3B73647 in design: errors/dim_design/reader-failed/2026/11/22/00/62338631-3.json, waiting for its row's next change",
    );
  });
});
