/**
 * @module
 * What `status` does (its options and help are in `cli/commands/status.ts`).
 */
import type { Command } from 'commander';
import { formatPipelineStatus, type PipelineStatus } from '../../local/pipeline-status.ts';
import { readStatusReport, type StatusReport } from '../../local/status-report.ts';
import { withRuntime } from '../command-runtime.ts';
import { globalOptions } from '../global-options.ts';
import { jsonWithLsnFormat } from '../lsn-json.ts';

/** Prints the status of the source and, when there is a warehouse, of every stage. */
export async function runStatusCommand(command: Command): Promise<void> {
  const json = globalOptions(command).json === true;
  await withRuntime(
    command,
    async (runtime) => {
      const report = await readStatusReport(runtime);
      const pipeline = report.warehouse ? (report as StatusReport & PipelineStatus) : undefined;
      console.log(
        json
          ? jsonWithLsnFormat(report)
          : [formatStatus(report), ...(pipeline ? [formatPipelineStatus(pipeline)] : [])].join('\n'),
      );
    },
    { warehouse: true, create: false },
  );
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
