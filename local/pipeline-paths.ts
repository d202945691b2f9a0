/**
 * @module
 * Where the local pipeline keeps everything under its data directory.
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
  } as const;
}
