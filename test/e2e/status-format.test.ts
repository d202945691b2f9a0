import { describe, expect, it } from 'vitest';
import { formatLoadStatus } from '../../local/pipeline-service.ts';
import { formatPipelineStatus, type PipelineStatus } from '../../local/pipeline-status.ts';

const CUT = { lsn: '62338631', commitTs: '2026-11-22T10:00:00.000Z' };

describe('human status output', () => {
  it("shows the warehouse cut in PostgreSQL's X/Y form in up's status line", () => {
    expect(formatLoadStatus({ status: 'unchanged', fromCut: CUT, cutLsn: CUT.lsn, watermarks: [] })).toBe(
      'warehouse cut 0/3B73647',
    );
    expect(formatLoadStatus(undefined)).toBe('warehouse: waiting for the first load');
  });

  it('shows the cut in X/Y form in status', () => {
    const status: PipelineStatus = {
      reader: {
        slot: 'totesys_stream',
        lagBytes: 0,
        active: true,
        lagSeconds: null,
        snapshotPending: [],
        schemaDrift: [],
      },
      lake: { lagSeconds: {}, errorsWaiting: {}, quarantined: [] },
      warehouse: {
        cut: { lsn: CUT.lsn, commitTs: CUT.commitTs, loadedAt: null },
        rows: {},
        lagSeconds: 0,
      },
      lag: { reader: 0, lake: null, warehouse: 0, endToEnd: null },
      endToEnd: { p50: null, p95: null, max: null },
    };
    // The JSON form is what readPipelineStatus returns; test/e2e/cli-commands.integration.test.ts checks it.
    expect(formatPipelineStatus(status)).toContain('warehouse cut 0/3B73647 (commit');
  });
});
