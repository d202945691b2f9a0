/**
 * @module
 * `reconcile`: compare the warehouse with the star computed from the source as of the warehouse's cut (exact
 * while the pipeline runs, see local/reconcile/reconcile.ts); exit non-zero on any difference. It brings the
 * warehouse to the source's position first: it runs the pipeline like `sync`, or waits for a running `up`.
 */
import type { Command } from 'commander';
import { DEFAULTS, ENV } from '../../core/operations.ts';
import { type ReconcileReport, reconcile } from '../../local/reconcile/reconcile.ts';
import { runSync } from '../../local/sync.ts';
import { globalOptions, positiveNumber, withRuntime } from '../global-options.ts';

/** Source and warehouse differ. */
export class ReconcileDifferenceError extends Error {
  override readonly name = 'ReconcileDifferenceError';
}

/** Registers `reconcile`. */
export function register(program: Command): void {
  program
    .command('reconcile')
    .description(
      "Compare the warehouse with the star schema computed from the source as of the warehouse's cut; " +
        'non-zero exit on differences.',
    )
    .option(
      '--timeout <s>',
      "time limit for bringing the warehouse's cut to the source's position",
      positiveNumber('--timeout'),
      300,
    )
    .addHelpText('after', '\nExamples:\n  $ totesys-stream reconcile\n  $ totesys-stream reconcile --json\n')
    .action(async (options: { timeout: number }, command: Command) => {
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
        console.log(json ? JSON.stringify(report, null, 2) : formatReport(report));
        if (report.differences.length > 0) {
          throw new ReconcileDifferenceError(
            `${report.differences.length} differences between source and warehouse (listed above).`,
          );
        }
      });
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
