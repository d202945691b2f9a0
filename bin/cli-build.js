/**
 * @module
 * The CLI as JavaScript, so that a start costs Node's own start and the modules a command uses, not a
 * TypeScript compile (tsx alone takes most of a second to load).
 *
 * esbuild bundles `cli/main.ts` and every file of this repository it imports into `dist/`; packages stay
 * external (loaded from node_modules). The bundle is split at each dynamic import: `cli/commands/*.ts` load
 * their actions with `import()`, so `--version` and `--help` load commander only, and each command loads what
 * it uses. `npm install` and `npm ci` build it (the `prepare` script). On every start the bin compares the
 * modification time and size of every source file the build read (its manifest lists them) and rebuilds
 * first when one changed, so an edited checkout never runs a stale build. Without esbuild (an install
 * without dev dependencies) the CLI runs from source through tsx.
 *
 * Plain JavaScript, because it runs before anything could load TypeScript.
 */
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The checkout this file belongs to. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = 'cli/main.ts';

/**
 * Where the build of the checkout at `root` goes: one level below the root, like the source folders, so that
 * a file URL built relative to a module (`new URL('../queries/', import.meta.url)` in
 * loader/loader-queries.ts) resolves to the same checkout file from a bundled chunk as from the source.
 * @param {string} root
 */
export function cliBuildDir(root) {
  return join(root, 'dist');
}

/** @param {string} root */
function manifestPath(root) {
  return join(cliBuildDir(root), 'cli-manifest.json');
}

/**
 * The esbuild options of the CLI build of the checkout at `root`.
 * @param {string} root
 * @returns {import('esbuild').BuildOptions & { metafile: true, write: false }}
 */
export function cliBuildOptions(root) {
  return {
    absWorkingDir: root,
    entryPoints: [ENTRY],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir: cliBuildDir(root),
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    metafile: true,
    write: false,
    logLevel: 'silent',
  };
}

/**
 * @typedef {object} CliManifest
 * @property {string} entry the entry file under `dist/`
 * @property {Record<string, [number, number]>} inputs every source file read: path → [mtimeMs, size]
 * @property {string[]} files every file of this build under `dist/`
 * @property {string[]} previousFiles the files of the build before (kept for processes still loading them)
 */

/**
 * The manifest of the current build when every source file it read is unchanged, else undefined.
 * @returns {CliManifest | undefined}
 */
export function freshCliManifest(root = REPO_ROOT) {
  /** @type {CliManifest} */
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath(root), 'utf8'));
  } catch {
    return undefined;
  }
  for (const [path, [mtimeMs, size]] of Object.entries(manifest.inputs)) {
    let info;
    try {
      info = statSync(join(root, path));
    } catch {
      return undefined;
    }
    if (info.mtimeMs !== mtimeMs || info.size !== size) return undefined;
  }
  return manifest;
}

/** esbuild rejected the sources (a syntax error, an import that does not resolve). */
export class CliBuildError extends Error {
  /** @override */
  name = 'CliBuildError';
}

/**
 * Builds the CLI into `dist/` and returns the new manifest. Every file is written under a temporary name and
 * renamed, the manifest last, so a CLI starting at the same time sees the old build or the new one, whole.
 * @returns {Promise<CliManifest>}
 */
export async function buildCli(root = REPO_ROOT, loadEsbuild = importEsbuild) {
  const esbuild = await loadEsbuild();
  const outDir = cliBuildDir(root);
  const manifestFile = manifestPath(root);
  const startedMs = Date.now();
  let result;
  try {
    result = await esbuild.build(cliBuildOptions(root));
  } catch (error) {
    /** @type {import('esbuild').Message[]} */
    const errors = /** @type {{ errors?: import('esbuild').Message[] }} */ (error).errors ?? [];
    const messages = errors
      .slice(0, 5)
      .map((e) => `${e.location?.file ?? ''}:${e.location?.line ?? ''} ${e.text}`);
    throw new CliBuildError(`The CLI could not be built from the sources:\n${messages.join('\n')}`, {
      cause: error,
    });
  }
  await mkdir(outDir, { recursive: true });
  /** @type {string[]} */
  const files = [];
  for (const output of result.outputFiles) {
    const temporary = `${output.path}.${process.pid}.tmp`;
    writeFileSync(temporary, output.contents);
    renameSync(temporary, output.path);
    files.push(output.path.slice(outDir.length + 1));
  }
  const entry = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint === ENTRY);
  if (!entry) throw new CliBuildError(`esbuild produced no output for ${ENTRY}.`);
  /** @type {Record<string, [number, number]>} */
  const inputs = {};
  const endedMs = Date.now();
  for (const path of Object.keys(result.metafile.inputs)) {
    const info = statSync(join(root, path));
    // A file saved while esbuild read it may be in the build in its older form: record it as changed.
    const savedDuringBuild = info.mtimeMs >= startedMs && info.mtimeMs <= endedMs;
    inputs[path] = [savedDuringBuild ? 0 : info.mtimeMs, info.size];
  }
  const previous = readPreviousFiles(manifestFile);
  /** @type {CliManifest} */
  const manifest = {
    entry: entry[0].slice(entry[0].lastIndexOf('/') + 1),
    inputs,
    files,
    previousFiles: previous.filter((file) => !files.includes(file)),
  };
  const temporary = `${manifestFile}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(manifest, null, 1)}\n`);
  renameSync(temporary, manifestFile);
  removeOlderBuilds(outDir, new Set([...manifest.files, ...manifest.previousFiles]));
  return manifest;
}

/** @returns {Promise<typeof import('esbuild')>} */
function importEsbuild() {
  return import('esbuild');
}

/**
 * @param {string} manifestFile
 * @returns {string[]}
 */
function readPreviousFiles(manifestFile) {
  try {
    return JSON.parse(readFileSync(manifestFile, 'utf8')).files ?? [];
  } catch {
    return [];
  }
}

/**
 * Removes the files of builds older than the previous one (nothing can still be loading them).
 * @param {string} outDir
 * @param {Set<string>} keep
 */
function removeOlderBuilds(outDir, keep) {
  for (const name of readdirSync(outDir)) {
    if (name.endsWith('.js') && !keep.has(name)) rmSync(join(outDir, name), { force: true });
  }
}

/**
 * The CLI module: the current build, rebuilt first when a source file changed since, or the TypeScript
 * source through tsx when esbuild is not installed.
 * @param {string} [root] the checkout
 * @param {() => Promise<typeof import('esbuild')>} [loadEsbuild] how esbuild is loaded (tests replace it)
 * @returns {Promise<{ main(argv: readonly string[]): Promise<number> }>}
 */
export async function loadCli(root = REPO_ROOT, loadEsbuild = importEsbuild) {
  let manifest = freshCliManifest(root);
  if (!manifest) {
    try {
      manifest = await buildCli(root, loadEsbuild);
    } catch (error) {
      if (!isMissingModule(error)) throw error;
      const { register } = await import('tsx/esm/api');
      register();
      return import(pathToFileURL(join(root, ENTRY)).href);
    }
  }
  return import(pathToFileURL(join(cliBuildDir(root), manifest.entry)).href);
}

/** @param {unknown} error */
function isMissingModule(error) {
  return /** @type {{ code?: string }} */ (error)?.code === 'ERR_MODULE_NOT_FOUND';
}

// `node bin/cli-build.js` (the `prepare` script): build now.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await buildCli();
  } catch (error) {
    if (!isMissingModule(error)) throw error;
    console.error('totesys-stream: esbuild is not installed; the CLI will run from its TypeScript source.');
  }
}
