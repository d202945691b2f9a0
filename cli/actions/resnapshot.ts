/**
 * @module
 * What `resnapshot` does (its help is in `cli/commands/resnapshot.ts`).
 */
import type { Command } from 'commander';
import { pipelinePaths } from '../../local/data-dir-layout.ts';
import { resolveRuntimeSettings } from '../../local/runtime-config.ts';
import { requestResnapshot } from '../../reader/resnapshot-requests.ts';
import { FileStateStore } from '../../reader/state/file-state-store.ts';
import { globalOptions } from '../global-options.ts';

/** Writes the re-read request into the reader's state store. */
export async function runResnapshotCommand(tables: string[], command: Command): Promise<void> {
  const { dataDir } = resolveRuntimeSettings({ dataDir: globalOptions(command).dataDir });
  await requestResnapshot(new FileStateStore(pipelinePaths(dataDir).state), tables);
  console.log(
    `Requested a re-read of ${tables.join(', ')}; the reader serves it while streaming ` +
      '(now if `up` is running, otherwise at the next `up` or `sync`).',
  );
}
