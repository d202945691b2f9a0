/**
 * @module
 * The local pipeline as a service of `up`: started after the databases are ready, stopped cleanly on Ctrl-C
 * (the reader acks what Firehose accepted, the Firehose delivers what it buffered), with a status fragment.
 */
import { formatLsn, parseLsn } from '../core/lsn.ts';
import type { LoadOutcome } from '../loader/run-load.ts';
import { LocalPipeline } from './pipeline.ts';
import type { LocalPipelineOptions } from './pipeline-options.ts';

/** A service as `up` runs it (see cli/services.ts). */
export interface PipelineService {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): string;
}

/** The reader, local Firehose, lake and loader as one service. */
export function pipelineService(
  options: LocalPipelineOptions,
  onFailure: (error: Error) => void,
): PipelineService {
  let pipeline: LocalPipeline | undefined;
  let last: LoadOutcome | undefined;
  let reported = false;
  return {
    name: 'pipeline (reader, local Firehose, loader)',
    async start() {
      pipeline = await LocalPipeline.start({
        ...options,
        onLoad: (outcome) => {
          last = outcome;
          options.onLoad?.(outcome);
          if (pipeline?.failure && !reported) {
            reported = true;
            onFailure(pipeline.failure);
          }
        },
      });
    },
    async stop() {
      await pipeline?.stop();
    },
    status() {
      return formatLoadStatus(last);
    },
  };
}

/**
 * The status fragment of the last loader run. The cut is shown in PostgreSQL's `X/Y` form, like the source
 * LSN beside it in `up`'s status line, so the two can be compared by eye.
 */
export function formatLoadStatus(last: LoadOutcome | undefined): string {
  if (!last) return 'warehouse: waiting for the first load';
  if (last.status === 'blocked')
    return `warehouse: waiting for watermarks (${last.missingWatermarks.length} tables)`;
  const cut = last.status === 'loaded' ? last.toCut : last.fromCut;
  const p95 = last.status === 'loaded' && last.latency ? `, p95 ${last.latency.p95.toFixed(2)} s` : '';
  return `warehouse cut ${cut ? formatLsn(parseLsn(cut.lsn)) : 'none'}${p95}`;
}
