/**
 * @module
 * How an action turns the global options into a runtime: the databases they name, or the embedded cluster
 * under --data-dir (see `local/runtime-config.ts`).
 */
import type { Command } from 'commander';
import {
  openRuntime,
  type Runtime,
  type RuntimeNeeds,
  resolveRuntimeSettings,
} from '../local/runtime-config.ts';
import { globalOptions } from './global-options.ts';

/** Opens the databases named by the global options (see `openRuntime`). */
export async function runtimeFor(
  command: Command,
  needs: RuntimeNeeds = { warehouse: true },
): Promise<Runtime> {
  const options = globalOptions(command);
  return openRuntime(
    resolveRuntimeSettings({
      dataDir: options.dataDir,
      sourceUrl: options.sourceUrl,
      warehouseUrl: options.warehouseUrl,
      pgPort: options.pgPort,
    }),
    needs,
  );
}

/** Runs `work` with an open runtime, always closing it (stopping a cluster this process started). */
export async function withRuntime<T>(
  command: Command,
  work: (runtime: Runtime) => Promise<T>,
  needs: RuntimeNeeds = { warehouse: true },
): Promise<T> {
  const runtime = await runtimeFor(command, needs);
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}
