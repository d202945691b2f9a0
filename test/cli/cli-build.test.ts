import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildCli,
  CliBuildError,
  cliBuildDir,
  cliBuildOptions,
  freshCliManifest,
  loadCli,
  REPO_ROOT,
} from '../../bin/cli-build.js';

let saves = 0;
const CLI_BUILD = new URL('../../bin/cli-build.js', import.meta.url).href;

/** A checkout in miniature: `cli/main.ts` loads its answer lazily, as the real commands load their actions. */
async function writeCheckout(root: string, answer: number): Promise<void> {
  await mkdir(join(root, 'cli', 'actions'), { recursive: true });
  await writeFile(join(root, 'package.json'), '{ "type": "module" }\n');
  await writeFile(
    join(root, 'cli', 'main.ts'),
    "export async function main(argv: readonly string[]): Promise<number> {\n  const { answer } = await import('./actions/answer.ts');\n  return answer(argv);\n}\n",
  );
  await writeAnswer(root, answer);
}

async function writeAnswer(root: string, answer: number): Promise<void> {
  const file = join(root, 'cli', 'actions', 'answer.ts');
  await writeFile(file, `export const answer = (_argv: readonly string[]): number => ${answer};\n`);
  // A saved file gets a new modification time; make sure it differs from the one the last build recorded
  // (two saves within the file system's time resolution would not).
  saves++;
  const savedAt = new Date(Date.now() - 1_000_000 + saves * 1000);
  await utimes(file, savedAt, savedAt);
}

describe('the CLI build', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cli-build-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('statically loads only commander and Node built-ins at start (commands load their actions lazily)', async () => {
    const result = await esbuild.build(cliBuildOptions(REPO_ROOT));
    const outputs = result.metafile.outputs;
    const entry = Object.keys(outputs).find((path) => outputs[path]?.entryPoint === 'cli/main.ts');
    const loadedAtStart = new Set<string>();
    const seen = new Set<string>();
    const walk = (path: string) => {
      if (seen.has(path)) return;
      seen.add(path);
      for (const imported of outputs[path]?.imports ?? []) {
        if (imported.kind !== 'import-statement') continue;
        if (imported.external) loadedAtStart.add(imported.path);
        else walk(imported.path);
      }
    };
    walk(entry!);
    expect([...loadedAtStart].filter((name) => !name.startsWith('node:'))).toEqual(['commander']);
    // The actions are there, behind dynamic imports.
    const lazy = outputs[entry!]!.imports.filter((imported) => imported.kind === 'dynamic-import');
    expect(lazy.length).toBeGreaterThanOrEqual(9);
  });

  it('builds on the first start, then reuses the build while no source file changed', async () => {
    await writeCheckout(root, 41);
    expect(freshCliManifest(root)).toBeUndefined();
    expect(await (await loadCli(root)).main([])).toBe(41);
    const manifestFile = join(cliBuildDir(root), 'cli-manifest.json');
    const built = (await stat(manifestFile)).mtimeMs;
    expect(Object.keys(freshCliManifest(root)!.inputs).sort()).toEqual([
      'cli/actions/answer.ts',
      'cli/main.ts',
    ]);
    expect(await (await loadCli(root)).main([])).toBe(41);
    expect((await stat(manifestFile)).mtimeMs).toBe(built);
  });

  it('rebuilds before running when a source file changed, so a stale build never runs', async () => {
    await writeCheckout(root, 41);
    expect(await (await loadCli(root)).main([])).toBe(41);
    await writeAnswer(root, 42);
    expect(freshCliManifest(root)).toBeUndefined();
    expect(await (await loadCli(root)).main([])).toBe(42);
  });

  it('keeps the previous build beside the current one and removes older ones', async () => {
    await writeCheckout(root, 1);
    const first = await buildCli(root);
    await writeAnswer(root, 2);
    const second = await buildCli(root);
    await writeAnswer(root, 3);
    const third = await buildCli(root);
    const files = await readdir(cliBuildDir(root));
    for (const file of [...second.files, ...third.files]) expect(files).toContain(file);
    const onlyFirst = first.files.filter(
      (file) => !second.files.includes(file) && !third.files.includes(file),
    );
    expect(onlyFirst.length).toBeGreaterThan(0);
    for (const file of onlyFirst) expect(files).not.toContain(file);
  });

  it('says which file does not compile instead of running an old build', async () => {
    await writeCheckout(root, 41);
    await loadCli(root);
    await writeFile(join(root, 'cli', 'actions', 'answer.ts'), 'export const answer = (;\n');
    const error = await loadCli(root).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CliBuildError);
    expect((error as Error).message).toMatch(/cli\/actions\/answer\.ts:1 /);
  });

  it('runs the TypeScript source through tsx when esbuild is not installed', async () => {
    await writeCheckout(root, 43);
    // In a child process: tsx registers a loader for the whole process.
    const script = `
      const { loadCli } = await import(${JSON.stringify(CLI_BUILD)});
      const missing = async () => { throw Object.assign(new Error('no esbuild'), { code: 'ERR_MODULE_NOT_FOUND' }); };
      const { main } = await loadCli(${JSON.stringify(root)}, missing);
      process.stdout.write(String(await main([])));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: '43', stderr: '' });
    await expect(readdir(cliBuildDir(root))).rejects.toThrow(/ENOENT/);
  });

  it('puts the build one level below the checkout, where module-relative paths find queries/', async () => {
    const manifest = freshCliManifest(REPO_ROOT) ?? (await buildCli(REPO_ROOT));
    const entry = pathToFileURL(join(cliBuildDir(REPO_ROOT), manifest.entry));
    const queries = new URL('../queries/loader/', entry);
    expect((await readdir(queries)).length).toBeGreaterThan(0);
    expect(await readFile(new URL('../package.json', entry), 'utf8')).toContain('"totesys-stream"');
  });
});
