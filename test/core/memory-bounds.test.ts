import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MEMORY_BOUNDS,
  defaultHeapBytes,
  describeMemoryBounds,
  MEMORY_BOUND_VARIABLES,
  MemoryBoundsError,
  readMemoryBounds,
} from '../../core/memory-bounds.ts';
import { ENV } from '../../core/operations.ts';

const MIB = 1024 * 1024;

describe('memory bounds', () => {
  it('are the defaults when the environment sets none, and each set one replaces its default', () => {
    expect(readMemoryBounds({})).toEqual(DEFAULT_MEMORY_BOUNDS);
    expect(
      readMemoryBounds({
        TOTESYS_READER_BUFFER_MIB: '8',
        TOTESYS_FIREHOSE_STREAM_BUFFER_MIB: ' 4 ',
        TOTESYS_LOADER_BATCH_ROWS: '500',
        TOTESYS_DUCKDB_MEMORY_MIB: '128',
        TOTESYS_DUCKDB_THREADS: '',
      }),
    ).toEqual({
      readerBufferBytes: 8 * MIB,
      firehoseStreamBytes: 4 * MIB,
      loaderBatchRows: 500,
      duckdbMemoryBytes: 128 * MIB,
      duckdbThreads: DEFAULT_MEMORY_BOUNDS.duckdbThreads,
      // Unset: derived from the bounds set beside it.
      heapBytes: defaultHeapBytes({
        readerBufferBytes: 8 * MIB,
        firehoseStreamBytes: 4 * MIB,
        loaderBatchRows: 500,
      }),
    });
  });

  it('bound the V8 heap by TOTESYS_HEAP_MIB, else by room for the idle pipeline and twice the other bounds', () => {
    expect(readMemoryBounds({ TOTESYS_HEAP_MIB: '300' }).heapBytes).toBe(300 * MIB);
    expect(DEFAULT_MEMORY_BOUNDS.heapBytes).toBe(defaultHeapBytes(DEFAULT_MEMORY_BOUNDS));
    // 192 MiB for the idle pipeline, twice the reader's 32 and one stream's 16 MiB, two batches of 20,000 rows.
    expect(DEFAULT_MEMORY_BOUNDS.heapBytes).toBe(Math.ceil(192 + 2 * 48 + (2 * 20_000 * 2048) / MIB) * MIB);
    const bigger = readMemoryBounds({ TOTESYS_READER_BUFFER_MIB: '132', TOTESYS_LOADER_BATCH_ROWS: '20000' });
    expect(bigger.heapBytes).toBe(DEFAULT_MEMORY_BOUNDS.heapBytes + 2 * 100 * MIB);
    expect(() => readMemoryBounds({ TOTESYS_HEAP_MIB: '-1' })).toThrow(
      'TOTESYS_HEAP_MIB must be a positive whole number of MiB (got "-1").',
    );
  });

  it('refuse anything but a positive whole number, naming every variable at fault', () => {
    const read = () =>
      readMemoryBounds({
        TOTESYS_READER_BUFFER_MIB: '0',
        TOTESYS_DUCKDB_THREADS: 'two',
        TOTESYS_FIREHOSE_STREAM_BUFFER_MIB: '1.5',
      });
    expect(read).toThrow(MemoryBoundsError);
    expect(read).toThrow(
      'TOTESYS_READER_BUFFER_MIB must be a positive whole number of MiB (got "0"); ' +
        'TOTESYS_FIREHOSE_STREAM_BUFFER_MIB must be a positive whole number of MiB (got "1.5"); ' +
        'TOTESYS_DUCKDB_THREADS must be a positive whole number of threads (got "two").',
    );
  });

  it('are read by the Lambdas under the names the local pipeline reads', () => {
    expect(ENV.readerBufferMib).toBe(MEMORY_BOUND_VARIABLES.readerBufferBytes);
    expect(ENV.loaderBatchRows).toBe(MEMORY_BOUND_VARIABLES.loaderBatchRows);
    expect(describeMemoryBounds(DEFAULT_MEMORY_BOUNDS)).toContain('TOTESYS_DUCKDB_MEMORY_MIB=256 MiB');
  });
});
