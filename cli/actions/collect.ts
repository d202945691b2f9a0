/**
 * @module
 * What `collect` does (its options and help are in `cli/commands/collect.ts`).
 */
import type { Command } from 'commander';
import { SYSTEM_CLOCK } from '../../core/ports/clock.ts';
import type { CollectorName } from '../../core/schema/market-lake-tables.ts';
import {
  type CollectionSummary,
  collectIntoLocalLake,
  configureCollector,
  describeCollectionFailure,
} from '../../local/market-collection.ts';
import { terminalLog } from '../../local/terminal-log.ts';
import type { CollectOptions } from '../commands/collect.ts';
import { globalOptions } from '../global-options.ts';

/** Collects once (`--once`) or every `--every` minutes until interrupted. */
export async function runCollectCommand(
  name: string,
  options: CollectOptions,
  command: Command,
): Promise<void> {
  const { dataDir = '.totesys-stream', json } = globalOptions(command);
  const log = terminalLog();
  const configured = configureCollector(
    name as CollectorName,
    options.synthetic
      ? { kind: 'synthetic' }
      : { kind: 'http', ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}) },
  );
  const once = async (from: string | undefined) => {
    const summary = await collectIntoLocalLake(dataDir, configured, { ...(from ? { from } : {}), log });
    console.log(json ? JSON.stringify(summary) : formatSummary(summary));
  };
  if (options.once) {
    await once(options.from);
    return;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let from = options.from;
    while (!stop.signal.aborted) {
      try {
        await once(from);
        from = undefined;
      } catch (error) {
        // A failed fetch wrote nothing; the next run fetches again.
        log.error(describeCollectionFailure(configured.collector.name, error), { stage: 'collector' });
      }
      await SYSTEM_CLOCK.sleep(options.every * 60_000, stop.signal);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function formatSummary(summary: CollectionSummary): string {
  return `Collected ${summary.rows} ${summary.table} rows (${summary.collector}) into the lake.`;
}
