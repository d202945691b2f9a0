/**
 * @module
 * What `collect` does (its options and help are in `cli/commands/collect.ts`).
 */
import type { Command } from 'commander';
import { SYSTEM_CLOCK } from '../../core/ports/clock.ts';
import type { Log } from '../../core/ports/log.ts';
import type { CollectorName } from '../../core/schema/market-lake-tables.ts';
import {
  type CollectionSummary,
  collectDroppedFiles,
  collectIntoLocalLake,
  configureCollector,
  describeCollectionFailure,
} from '../../local/market-collection.ts';
import { terminalLog } from '../../local/terminal-log.ts';
import type { CollectOptions } from '../commands/collect.ts';
import { globalOptions, InvalidOptionError } from '../global-options.ts';

/** Collects once (`--once`) or every `--every` minutes until interrupted. */
export async function runCollectCommand(
  name: string,
  options: CollectOptions,
  command: Command,
): Promise<void> {
  const { dataDir = '.totesys-stream', json } = globalOptions(command);
  const log = terminalLog();
  if (name === 'files') {
    if (!options.dir) throw new InvalidOptionError('collect files needs --dir <drop directory>.');
    const dir = options.dir;
    await repeatUnlessOnce(options, log, 'files', async () => {
      const summary = await collectDroppedFiles(dataDir, dir, { log });
      console.log(
        json
          ? JSON.stringify(summary)
          : `Collected ${summary.rows} rows from ${summary.accepted} files; ${summary.refused.length} refused.`,
      );
    });
    return;
  }
  const configured = configureCollector(
    name as CollectorName,
    options.synthetic
      ? { kind: 'synthetic' }
      : { kind: 'http', ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}) },
  );
  let from = options.from;
  await repeatUnlessOnce(options, log, configured.collector.name, async () => {
    const summary = await collectIntoLocalLake(dataDir, configured, { ...(from ? { from } : {}), log });
    // Only the first collection backfills.
    from = undefined;
    console.log(json ? JSON.stringify(summary) : formatSummary(summary));
  });
}

/** Runs `collect` once with --once; otherwise every --every minutes until Ctrl-C, a failure logged each time. */
async function repeatUnlessOnce(
  options: CollectOptions,
  log: Log,
  name: CollectorName,
  collect: () => Promise<void>,
): Promise<void> {
  if (options.once) {
    await collect();
    return;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (!stop.signal.aborted) {
      try {
        await collect();
      } catch (error) {
        // A failed fetch wrote nothing; the next run fetches again.
        log.error(describeCollectionFailure(name, error), { stage: 'collector' });
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
