/**
 * @module
 * `status`: row counts per source table, the source WAL position and replication slots. Works while `up`
 * runs in another terminal with the same --data-dir (it attaches to the running cluster).
 */
import type { Command } from 'commander';
import { formatPipelineStatus, type PipelineStatus } from '../../local/pipeline-status.ts';
import { readStatusReport, type StatusReport } from '../../local/status-report.ts';
import { globalOptions, withRuntime } from '../global-options.ts';

/** Registers `status`. */
export function register(program: Command): void {
  program
    .command('status')
    .description('Show the source: rows per table, WAL position (pg_current_wal_lsn) and replication slots.')
    .addHelpText(
      'after',
      '\nExamples:\n  $ totesys-stream status\n  $ totesys-stream status --json | jq .source.lsn\n',
    )
    .action(async (_options: unknown, command: Command) => {
      const json = globalOptions(command).json === true;
      await withRuntime(
        command,
        async (runtime) => {
          const report = await readStatusReport(runtime);
          const pipeline = report.warehouse ? (report as StatusReport & PipelineStatus) : undefined;
          console.log(
            json
              ? JSON.stringify(report, null, 2)
              : [formatStatus(report), ...(pipeline ? [formatPipelineStatus(pipeline)] : [])].join('\n'),
          );
        },
        { warehouse: true },
      );
    });
}

function formatStatus(report: StatusReport): string {
  const { source } = report;
  const width = Math.max(...Object.keys(source.rows).map((table) => table.length));
  const lines = [`source ${source.url}`, `  WAL position  ${source.lsn}`, '  rows'];
  for (const [table, rows] of Object.entries(source.rows)) {
    lines.push(
      `    ${table.padEnd(width)}  ${rows === null ? '(no table: run seed or up)' : rows.toLocaleString('en-GB')}`,
    );
  }
  if (source.slots.length === 0) lines.push('  replication slots: none');
  for (const slot of source.slots) {
    lines.push(
      `  slot ${slot.name} (${slot.plugin ?? 'physical'}, ${slot.active ? 'active' : 'inactive'}) ` +
        `confirmed ${slot.confirmedFlushLsn ?? '-'}, ${slot.lagBytes ?? '-'} bytes behind`,
    );
  }
  return lines.join('\n');
}
