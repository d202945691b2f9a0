/**
 * @module
 * What `compact` does (its help is in `cli/commands/compact.ts`).
 */
import type { Command } from 'commander';
import { compactLocalLake } from '../../local/local-compaction.ts';
import { terminalLog } from '../../local/terminal-log.ts';
import { PgWarehouse } from '../../warehouse/pg-warehouse.ts';
import { withRuntime } from '../command-runtime.ts';
import { globalOptions } from '../global-options.ts';

/** A run found another compaction holding the data dir's lease. */
export class CompactionBusyError extends Error {
  override readonly name = 'CompactionBusyError';
}

/** Compacts the local lake once, waiting out the grace period so the lake is compact when it returns. */
export async function runCompactCommand(command: Command): Promise<void> {
  const { json } = globalOptions(command);
  await withRuntime(command, async (runtime) => {
    const warehouse = new PgWarehouse({ url: runtime.warehouseUrl });
    try {
      const outcome = await compactLocalLake({
        dataDir: runtime.dataDir,
        warehouse,
        waitForDeletes: true,
        loadFirst: { warehouseUrl: runtime.warehouseUrl },
        log: terminalLog(),
      });
      if (outcome.status === 'busy') {
        throw new CompactionBusyError(
          'Another compaction of this data dir is running (a running `up` compacts every minute); try again ' +
            'when it has finished.',
        );
      }
      console.log(
        json
          ? JSON.stringify(outcome, null, 2)
          : outcome.status === 'nothing-to-do'
            ? "Nothing to compact: no partition has small objects the warehouse's cut covers."
            : `Compacted ${outcome.partitions} partitions: ${outcome.objectsWritten} objects written, ` +
              `${outcome.objectsDeleted} deleted.`,
      );
    } finally {
      await warehouse.close();
    }
  });
}
