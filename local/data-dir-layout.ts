/**
 * @module
 * What lives where under a data dir (`--data-dir`, default `.totesys-stream`): the reader's state, the lake
 * directory laid out like the bucket, and the Firehose spool. Every command that reads one of them (`status`,
 * `query`, `resnapshot`) finds it here without loading the pipeline.
 */
import { join } from 'node:path';

/** The lake bucket locally (a directory under `<dataDir>/lake`). */
export const LOCAL_LAKE_BUCKET = 'totesys-lake';

/** Where the pipeline keeps its state under a data directory. */
export function pipelinePaths(dataDir: string) {
  return {
    state: join(dataDir, 'state'),
    lake: join(dataDir, 'lake'),
    spool: join(dataDir, 'firehose-spool'),
    /** Where DuckDB spills what does not fit its memory limit (core/memory-bounds.ts). */
    duckdbTemp: join(dataDir, 'duckdb-tmp'),
    /** Which source and warehouse the rest belongs to (`local/data-dir-identity.ts`). */
    identity: join(dataDir, 'identity.json'),
  } as const;
}
