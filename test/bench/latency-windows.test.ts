import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { latencyWindowLines, visibleChanges } from '../../bench/latency-windows.ts';
import { percentile } from '../../bench/percentile.ts';
import { LAKE_TABLES } from '../../core/schema/lake-tables.ts';
import { DuckDbQueryEngine } from '../../lake/duckdb-query-engine.ts';
import type { LakeRow } from '../../lake/lake-value.ts';
import { writeLakeParquet } from '../../lake/parquet-writer.ts';
import { paymentVersion } from '../support/lake-payments.ts';

describe('the latency step by window', () => {
  it('takes the nearest-rank percentile', () => {
    const sorted = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(10);
    expect(percentile(sorted, 0.95)).toBe(19);
    expect(percentile(sorted, 1)).toBe(20);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('groups changes by when they became visible and marks the windows a compaction finished in', () => {
    const start = 1_000_000;
    const changes = [
      { latencySeconds: 1.5, visibleAtMs: start + 1_000 },
      { latencySeconds: 2.5, visibleAtMs: start + 9_999 },
      // A window with nothing visible in it is left out; one after it still counts from the step's start.
      { latencySeconds: 4, visibleAtMs: start + 25_000 },
      // Visible just before the step's clock started (a load finishing as it began): the first window.
      { latencySeconds: 0.5, visibleAtMs: start - 10 },
    ];
    const lines = latencyWindowLines(changes, start, [start + 21_000]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\s+0–10\s+s\s+3 changes\s+p50 1\.50 s\s+p95 2\.50 s\s+max 2\.50 s$/);
    expect(lines[1]).toMatch(
      /^\s+20–30\s+s\s+1 changes\s+p50 4\.00 s\s+p95 4\.00 s\s+max 4\.00 s\s+\(a compaction run finished\)$/,
    );
  });
});

describe('the latency step’s changes', () => {
  let lakeDir: string;
  let engine: DuckDbQueryEngine;
  const BUCKET = 'totesys-lake';

  beforeEach(async () => {
    lakeDir = await mkdtemp(join(tmpdir(), 'latency-windows-'));
  });

  afterEach(async () => {
    await engine?.close();
    await rm(lakeDir, { recursive: true, force: true });
  });

  /** A version of payment `id` (test/support/lake-payments.ts) committed at `commitMs`. */
  function payment(id: number, lsn: bigint, op: 'c' | 'u' | 'w', commitMs: number): LakeRow {
    return { ...paymentVersion(id, lsn, op), _seq: 0, _commit_ts: BigInt(commitMs) };
  }

  it('counts each change once, duplicated objects and watermarks aside, with the load that made it visible', async () => {
    const t = Date.UTC(2022, 10, 3, 14, 0, 0);
    const rows = [payment(1, 110n, 'c', t), payment(2, 120n, 'u', t + 500), payment(3, 205n, 'c', t + 900)];
    const dir = join(lakeDir, BUCKET, 'fact_payment', 'dt=2022-11-03');
    await mkdir(dir, { recursive: true });
    const table = LAKE_TABLES.fact_payment;
    // A compaction's merged object beside the objects it replaces (its grace period not over): each row twice.
    await writeFile(join(dir, 'a.parquet'), writeLakeParquet(table, rows.slice(0, 2)));
    await writeFile(join(dir, 'b.parquet'), writeLakeParquet(table, rows.slice(2)));
    await writeFile(join(dir, 'merged.parquet'), writeLakeParquet(table, rows));
    // Not changes: a watermark, a change before the first load, one after the last.
    await writeFile(
      join(dir, 'c.parquet'),
      writeLakeParquet(table, [payment(4, 130n, 'w', t), payment(5, 90n, 'c', t), payment(6, 400n, 'c', t)]),
    );
    engine = await DuckDbQueryEngine.open({ lakeDir, bucket: BUCKET });
    const loads = [
      { from_lsn: '100', to_lsn: '150', finished: String(t + 2_000) },
      { from_lsn: '150', to_lsn: '150', finished: String(t + 2_500) },
      { from_lsn: '150', to_lsn: '300', finished: String(t + 4_000) },
    ];
    const changes = await visibleChanges(engine, loads);
    expect(changes.sort((a, b) => a.latencySeconds - b.latencySeconds)).toEqual([
      { latencySeconds: 1.5, visibleAtMs: t + 2_000 },
      { latencySeconds: 2, visibleAtMs: t + 2_000 },
      { latencySeconds: 3.1, visibleAtMs: t + 4_000 },
    ]);
  });
});
