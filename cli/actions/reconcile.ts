/**
 * @module
 * What `reconcile` does (its options and help are in `cli/commands/reconcile.ts`).
 */
import type { Command } from 'commander';
import { DEFAULTS, ENV } from '../../core/operations.ts';
import { type ReconcileReport, reconcile } from '../../local/reconcile/reconcile.ts';
import { runSync } from '../../local/sync.ts';
import { withRuntime } from '../command-runtime.ts';
import { globalOptions } from '../global-options.ts';
import { jsonWithLsnFormat } from '../lsn-json.ts';

/** Source and warehouse differ. */
export class ReconcileDifferenceError extends Error {
  override readonly name = 'ReconcileDifferenceError';
}

/** Brings the warehouse to the source's position, compares it with the source as of its cut, prints the report. */
export async function runReconcileCommand(options: { timeout: number }, command: Command): Promise<void> {
  const { json } = globalOptions(command);
  await withRuntime(command, async (runtime) => {
    const report = await reconcile({
      sourceUrl: runtime.sourceUrl,
      warehouseUrl: runtime.warehouseUrl,
      publication: process.env[ENV.publicationName] ?? DEFAULTS.publicationName,
      // runSync brings the cut to the source's position when it starts, which is past the snapshot.
      catchUp: async () => {
        await runSync({
          sourceUrl: runtime.sourceUrl,
          warehouseUrl: runtime.warehouseUrl,
          dataDir: runtime.dataDir,
          timeoutMs: options.timeout * 1000,
        });
      },
    });
    console.log(json ? jsonWithLsnFormat(report) : formatReport(report));
    if (report.differences.length > 0) {
      throw new ReconcileDifferenceError(
        `${report.differences.length} differences between source and warehouse (listed above).`,
      );
    }
  });
}

function formatReport(report: ReconcileReport): string {
  const lines = [
    `warehouse cut ${report.cutLsn} (source read at ${report.sourceSnapshotLsn}, ` +
      `${report.replayedChanges} changes replayed to the cut)`,
  ];
  for (const [table, t] of Object.entries(report.tables)) {
    lines.push(
      `  ${table.padEnd(20)} source ${t.sourceRows}, warehouse ${t.warehouseRows}, differences ${t.differences}`,
    );
  }
  for (const d of report.differences.slice(0, 200)) {
    lines.push(`  ${d.kind} ${d.table} key ${d.key}${d.columns ? ` columns ${d.columns.join(', ')}` : ''}`);
  }
  if (report.differences.length > 200) lines.push(`  ... and ${report.differences.length - 200} more`);
  if (report.differences.length === 0) lines.push('No differences.');
  return lines.join('\n');
}
