/**
 * @module
 * `sync`: run the pipeline until the warehouse has everything the source had committed when sync started,
 * then exit 0 (non-zero with the reason otherwise).
 */
import type { Command } from 'commander';
import pg from 'pg';
import { runSync, type SyncSummary } from '../../local/sync.ts';
import { terminalLog } from '../../local/terminal-log.ts';
import { migrateSource } from '../../source/source-migration.ts';
import { globalOptions, positiveNumber, withRuntime } from '../global-options.ts';
import { snapshotProgressReporter } from '../progress.ts';

/** Registers `sync`. */
export function register(program: Command): void {
  program
    .command('sync')
    .description(
      "Run the pipeline until the warehouse's cut reaches the source's WAL position at start, then exit.",
    )
    .option('--timeout <s>', 'give up after this many seconds', positiveNumber('--timeout'), 600)
    .addHelpText(
      'after',
      '\nExamples:\n  $ totesys-stream sync\n  $ totesys-stream sync --json --timeout 120\n',
    )
    .action(async (options: { timeout: number }, command: Command) => {
      const { json } = globalOptions(command);
      await withRuntime(command, async (runtime) => {
        // On the embedded default the source schema may not exist yet; an external source is never altered.
        if (runtime.cluster) {
          const client = new pg.Client({ connectionString: runtime.sourceUrl });
          await client.connect();
          await migrateSource(client).finally(() => client.end());
        }
        const summary = await runSync({
          sourceUrl: runtime.sourceUrl,
          warehouseUrl: runtime.warehouseUrl,
          dataDir: runtime.dataDir,
          timeoutMs: options.timeout * 1000,
          onSnapshotProgress: snapshotProgressReporter(globalOptions(command).progress),
          log: terminalLog(),
        });
        console.log(json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
      });
    });
}

function formatSummary(summary: SyncSummary): string {
  const rows = Object.entries(summary.rowsLoaded)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  return `Synced to cut ${summary.cutLsn} in ${summary.seconds.toFixed(1)} s; rows loaded: ${rows || 'none'}.`;
}
