/**
 * @module
 * The document `status --json` prints, and `/api/status` serves: the source (rows, WAL position, slots) and,
 * when there is a warehouse, every stage of the pipeline (local/pipeline-status.ts).
 */
import { createClient } from '../postgres/connections.ts';
import { readSourceStatus, type SourceStatus } from '../source/source-status.ts';
import { type PipelineStatus, readPipelineStatus } from './pipeline-status.ts';
import { redactUrl } from './url-redaction.ts';

/** The JSON `status --json` prints. */
export interface StatusReport extends Partial<PipelineStatus> {
  /** Every LSN in the document is in PostgreSQL's `X/Y` form (README, Commands). */
  readonly lsnFormat: 'X/Y';
  readonly source: SourceStatus & { readonly url: string };
}

/** Where the figures are. */
export interface StatusReportOptions {
  readonly sourceUrl: string;
  /** Empty or absent: the source alone. */
  readonly warehouseUrl?: string;
  readonly dataDir: string;
}

/** Reads the document; only reads, so it runs beside a busy `up`. */
export async function readStatusReport(options: StatusReportOptions): Promise<StatusReport> {
  const client = createClient({ connectionString: options.sourceUrl });
  await client.connect();
  try {
    const pipeline = options.warehouseUrl
      ? await readPipelineStatus({
          sourceUrl: options.sourceUrl,
          warehouseUrl: options.warehouseUrl,
          dataDir: options.dataDir,
        })
      : undefined;
    return {
      lsnFormat: 'X/Y',
      source: { url: redactUrl(options.sourceUrl), ...(await readSourceStatus(client)) },
      ...pipeline,
    };
  } finally {
    await client.end();
  }
}
