import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import {
  FOLDER_DEPENDENCIES,
  folderViolations,
  type ImportEdge,
  ruleCycle,
} from '../../tools/folder-dependencies.ts';

const ROOT = new URL('../../', import.meta.url);

/** Every import between the repository's own files, type-only and dynamic imports included. */
async function repositoryImports(): Promise<ImportEdge[]> {
  const folders = Object.keys(FOLDER_DEPENDENCIES).filter((f) => !f.includes('.') && !f.includes('/'));
  const result = await cruise(
    folders,
    {
      baseDir: fileURLToPath(ROOT),
      // swc parses TypeScript here: dependency-cruiser's own TypeScript parser needs the classic
      // compiler API, which TypeScript 7 no longer ships.
      parser: 'swc',
      tsPreCompilationDeps: true,
      doNotFollow: { path: 'node_modules' },
      exclude: { path: '(^|/)(node_modules|cdk\\.out|\\.totesys-stream)/' },
    },
    { extensions: ['.ts', '.js', '.json'] },
  );
  const output = result.output as ICruiseResult;
  return output.modules.flatMap((module) =>
    module.dependencies
      .filter((d) => d.dependencyTypes.includes('local') && !d.couldNotResolve)
      .map((d) => ({ from: module.source, to: d.resolved })),
  );
}

describe('the folder dependency rule', () => {
  it('is an acyclic graph of folders that exist', () => {
    expect(ruleCycle()).toBeNull();
    const missing = Object.keys(FOLDER_DEPENDENCIES).filter((f) => !existsSync(new URL(f, ROOT)));
    expect(missing).toEqual([]);
  });

  it('holds for every import in the repository', async () => {
    const edges = await repositoryImports();

    expect(edges.length).toBeGreaterThan(500);
    expect(folderViolations(edges)).toEqual([]);
  });

  it('names the file, the import and the folders allowed when an import breaks it', () => {
    const violations = folderViolations([
      { from: 'core/change-event.ts', to: 'core/schema/source-tables.ts' },
      { from: 'warehouse/pg-warehouse.ts', to: 'loader/run-load.ts' },
      { from: 'core/schema/lake-tables.ts', to: 'core/lsn.ts' },
    ]);

    expect(violations).toEqual([
      'warehouse/pg-warehouse.ts imports loader/run-load.ts: warehouse/ may import only core/, core/schema/, postgres/ ' +
        '(tools/folder-dependencies.ts). Move the shared code down a layer, or change the rule if the layering changed.',
      'core/schema/lake-tables.ts imports core/lsn.ts: core/schema/ may import nothing outside itself ' +
        '(tools/folder-dependencies.ts). Move the shared code down a layer, or change the rule if the layering changed.',
    ]);
  });

  it('finds a cycle in a rule that has one', () => {
    expect(ruleCycle({ a: ['b'], b: ['c'], c: ['a'] })).toEqual(['a', 'b', 'c', 'a']);
  });
});
