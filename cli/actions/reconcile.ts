/**
 * @module
 * What `reconcile` does (its options and help are in `cli/commands/reconcile.ts`). With a live source, a
 * difference may only be a change not loaded yet: such keys are checked again after one more sync round, and
 * only those that still differ are reported.
 */
import type { Command } from 'commander';
import { type Difference, type ReconcileReport, reconcile } from '../../local/reconcile.ts';
import { runSync } from '../../local/sync.ts';
import { withRuntime } from '../command-runtime.ts';
import { globalOptions } from '../global-options.ts';

/** Source and warehouse differ. */
export class ReconcileDifferenceError extends Error {
  override readonly name = 'ReconcileDifferenceError';
}

/** Compares, re-checks differences after a sync round (unless --no-recheck) and prints the report. */
export async function runReconcileCommand(
  options: { recheck: boolean; timeout: number },
  command: Command,
): Promise<void> {
  const { json } = globalOptions(command);
  await withRuntime(command, async (runtime) => {
    let report = await reconcile(runtime.sourceUrl, runtime.warehouseUrl);
    if (report.differences.length > 0 && options.recheck) {
      const first = new Set(report.differences.map(differenceId));
      await runSync({
        sourceUrl: runtime.sourceUrl,
        warehouseUrl: runtime.warehouseUrl,
        dataDir: runtime.dataDir,
        timeoutMs: options.timeout * 1000,
      });
      const again = await reconcile(runtime.sourceUrl, runtime.warehouseUrl);
      report = { ...again, differences: again.differences.filter((d) => first.has(differenceId(d))) };
    }
    console.log(json ? JSON.stringify(report, null, 2) : formatReport(report));
    if (report.differences.length > 0) {
      throw new ReconcileDifferenceError(
        `${report.differences.length} differences between source and warehouse (listed above).`,
      );
    }
  });
}

function differenceId(d: Difference): string {
  return `${d.table}:${d.key}:${d.kind}`;
}

function formatReport(report: ReconcileReport): string {
  const lines = [`warehouse cut ${report.cutLsn ?? 'none'}`];
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
