/**
 * @module
 * What `sync` does (its options and help are in `cli/commands/sync.ts`).
 */
import type { Command } from 'commander';
import { runSync, type SyncSummary } from '../../local/sync.ts';
import { terminalLog } from '../../local/terminal-log.ts';
import { createClient } from '../../postgres/connections.ts';
import { migrateSource } from '../../source/source-migration.ts';
import { withRuntime } from '../command-runtime.ts';
import { globalOptions } from '../global-options.ts';
import { jsonWithLsnFormat } from '../lsn-json.ts';
import { snapshotProgressReporter } from '../progress.ts';

/** Runs the pipeline until the warehouse has caught up with the source, then prints the summary. */
export async function runSyncCommand(options: { timeout: number }, command: Command): Promise<void> {
  const { json } = globalOptions(command);
  await withRuntime(command, async (runtime) => {
    // On the embedded default the source schema may not exist yet; an external source is never altered.
    if (runtime.cluster) {
      const client = createClient({ connectionString: runtime.sourceUrl });
      await client.connect();
      await migrateSource(client).finally(() => client.end());
    }
    const summary = await runSync({
      sourceUrl: runtime.sourceUrl,
      warehouseUrl: runtime.warehouseUrl,
      dataDir: runtime.dataDir,
      command: 'totesys-stream sync',
      timeoutMs: options.timeout * 1000,
      onSnapshotProgress: snapshotProgressReporter(globalOptions(command).progress),
      log: terminalLog(),
    });
    console.log(json ? jsonWithLsnFormat(summary) : formatSummary(summary));
  });
}

function formatSummary(summary: SyncSummary): string {
  const rows = Object.entries(summary.rowsLoaded)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  return `Synced to cut ${summary.cutLsn} in ${summary.seconds.toFixed(1)} s; rows loaded: ${rows || 'none'}.`;
}
