/**
 * @module
 * What `serve` does (its options and help are in `cli/commands/serve.ts`): serves the HTTP app over the
 * warehouse until Ctrl-C.
 */
import type { Command } from 'commander';
import { assertReachable } from '../../local/database-checks.ts';
import { openRuntime, resolveRuntimeSettings } from '../../local/runtime-config.ts';
import { startDashboard } from '../dashboard-startup.ts';
import { globalOptions } from '../global-options.ts';
import type { HttpOptions } from '../http-options.ts';
import { stopSignal } from '../services.ts';

/** Serves until Ctrl-C, then closes the server and the databases it opened. */
export async function runServeCommand(options: HttpOptions, command: Command): Promise<void> {
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
}
