/**
 * @module
 * `serve`: the dashboard, the payments API, `/api/status` and `/metrics` alone, against any warehouse
 * (`--warehouse-url`, say the one on RDS, best with a read-only role), or the embedded one of `up`'s data dir.
 * It only reads. Ctrl-C stops it.
 */
import type { Command } from 'commander';
import { assertReachable } from '../../local/database-checks.ts';
import { openRuntime, resolveRuntimeSettings } from '../../local/runtime-config.ts';
import { globalOptions } from '../global-options.ts';
import { addHttpOptions, type HttpOptions, startDashboard } from '../http-options.ts';
import { stopSignal } from '../services.ts';

/** Registers `serve`. */
export function register(program: Command): void {
  addHttpOptions(
    program
      .command('serve')
      .description(
        'Serve the dashboard, the payments API, /api/status and /metrics over the warehouse (read only) until Ctrl-C.',
      ),
  )
    .addHelpText(
      'after',
      '\nWith --warehouse-url alone it needs nothing else (add --source-url for /api/status); with neither it\n' +
        'serves the embedded warehouse of --data-dir (the one `up` runs).\n\nExamples:\n' +
        '  $ totesys-stream serve --http-port 8080\n' +
        '  $ totesys-stream serve --warehouse-url postgres://dashboard@wh.example.com/warehouse?sslmode=require\n',
    )
    .action(async (options: HttpOptions, command: Command) => {
      const signal = stopSignal();
      const global = globalOptions(command);
      const settings = resolveRuntimeSettings({
        dataDir: global.dataDir,
        sourceUrl: global.sourceUrl,
        warehouseUrl: global.warehouseUrl,
        pgPort: global.pgPort,
      });
      // A warehouse given alone is all serve needs: no embedded cluster for a source nobody asked about.
      const warehouseAlone = settings.warehouseUrl !== undefined && settings.sourceUrl === undefined;
      if (warehouseAlone) await assertReachable(settings.warehouseUrl as string, 'warehouse');
      const runtime = warehouseAlone ? undefined : await openRuntime(settings);
      try {
        const http = await startDashboard(options, {
          warehouseUrl: runtime?.warehouseUrl ?? (settings.warehouseUrl as string),
          sourceUrl: runtime?.sourceUrl,
          dataDir: settings.dataDir,
        });
        try {
          if (!signal.aborted) {
            await new Promise<void>((resolve) =>
              signal.addEventListener('abort', () => resolve(), { once: true }),
            );
          }
        } finally {
          await http.close();
        }
      } finally {
        await runtime?.close();
      }
    });
}
