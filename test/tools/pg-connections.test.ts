import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FOLDER_DEPENDENCIES } from '../../tools/folder-dependencies.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The folders users run: everything but the tests, their doubles, the benchmarks and the repository tooling. */
const PRODUCT = Object.keys(FOLDER_DEPENDENCIES).filter(
  (folder) => !folder.includes('.') && !['test', 'testing', 'bench', 'tools', 'postgres'].includes(folder),
);

function typeScriptFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.includes('node_modules'))
    .map((file) => join(folder, file));
}

// A pg client or pool made without postgres/connections.ts has no listener for a lost connection, and a
// database restart then ends the process (README, "What it guarantees").
const CONSTRUCTION = /new\s+(?:pg\.)?(?:Client|Pool)\s*\(/;

describe("the product's PostgreSQL connections", () => {
  it('are all made by postgres/connections.ts', () => {
    const files = PRODUCT.flatMap(typeScriptFiles);
    const offending = files.filter((file) => CONSTRUCTION.test(readFileSync(join(ROOT, file), 'utf8')));

    expect(files.length).toBeGreaterThan(100);
    expect(offending.map((file) => relative(ROOT, join(ROOT, file)))).toEqual([]);
  });
});
