/**
 * @module
 * What `errors list` and `errors replay` do (their help is in `cli/commands/errors.ts`), on the local lake
 * under --data-dir.
 */
import type { Command } from 'commander';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from '../../local/data-dir-layout.ts';
import { type ErrorObjectSummary, listErrorObjects, replayErrorObjects } from '../../local/error-objects.ts';
import { assertDataDirUsable, resolveRuntimeSettings } from '../../local/runtime-config.ts';
import { requestResnapshot } from '../../reader/resnapshot-requests.ts';
import { FileStateStore } from '../../reader/state/file-state-store.ts';
import { globalOptions } from '../global-options.ts';

async function localLake(command: Command): Promise<{ dataDir: string; store: FsObjectStore }> {
  const { dataDir } = resolveRuntimeSettings({ dataDir: globalOptions(command).dataDir });
  await assertDataDirUsable(dataDir, true);
  return { dataDir, store: new FsObjectStore(pipelinePaths(dataDir).lake, LOCAL_LAKE_BUCKET) };
}

/** Prints every error object with its reasons. */
export async function runErrorsListCommand(command: Command): Promise<void> {
  const { store } = await localLake(command);
  const objects = await listErrorObjects(store);
  console.log(globalOptions(command).json ? JSON.stringify(objects, null, 2) : formatErrorObjects(objects));
}

/** Asks for a re-read of the tables behind every error object, then moves the objects aside. */
export async function runErrorsReplayCommand(command: Command): Promise<void> {
  const { dataDir, store } = await localLake(command);
  const objects = await listErrorObjects(store);
  const stateStore = new FileStateStore(pipelinePaths(dataDir).state);
  const tables = await replayErrorObjects(store, objects, (sourceTables) =>
    requestResnapshot(stateStore, sourceTables),
  );
  console.log(
    tables.length === 0
      ? 'No error objects to replay.'
      : `Replayed ${objects.length} error object(s) (${objects.reduce((n, o) => n + o.records, 0)} records): ` +
          `requested a re-read of ${tables.join(', ')}, served now if \`up\` runs, otherwise at the next \`up\` ` +
          'or `sync`. The objects moved to errors-replayed/; rows still bad come back under errors/.',
  );
}

/** The human listing: one block per object, its reasons indented. */
export function formatErrorObjects(objects: readonly ErrorObjectSummary[]): string {
  if (objects.length === 0) return 'No error objects under errors/.';
  const lines: string[] = [];
  for (const object of objects) {
    lines.push(`${object.key}  ${object.table}  ${object.type}  ${object.records} record(s)`);
    for (const { reason, records } of object.reasons) lines.push(`    ${records} × ${reason}`);
  }
  lines.push(`${objects.length} error object(s). \`totesys-stream errors replay\` re-reads their tables.`);
  return lines.join('\n');
}
