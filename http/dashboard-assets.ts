/**
 * @module
 * The dashboard's script and style sheet: `http/dashboard/dashboard-page.ts` with uPlot bundled in by esbuild,
 * so the page needs nothing from a CDN and works offline. A checkout builds it in memory on first use
 * (esbuild, a dev dependency, is installed by `npm install`); the Lambda bundle ships the same build
 * prebuilt beside its code (cdk/lib/constructs/payments-api.ts runs functions/api/bundle-assets.ts, which
 * calls {@link writeDashboardAssets}, after bundling).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built page assets. */
export interface DashboardAssets {
  readonly script: string;
  readonly style: string;
}

/** File names of a prebuilt build. */
const SCRIPT_FILE = 'dashboard.js';
const STYLE_FILE = 'dashboard.css';

// One level below the checkout's root, like every source folder, so this resolves from a bundled build too.
const ENTRY = fileURLToPath(new URL('../http/dashboard/dashboard-page.ts', import.meta.url));

/** The dashboard could not be built. */
export class DashboardBuildError extends Error {
  override readonly name = 'DashboardBuildError';
}

/** Builds the assets with esbuild (minified, one script and one style sheet, uPlot's licence kept). */
export async function buildDashboardAssets(): Promise<DashboardAssets> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (error) {
    throw new DashboardBuildError(
      'The dashboard is built with esbuild, which is missing: run `npm install` (with dev dependencies).',
      { cause: error },
    );
  }
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2022'],
    platform: 'browser',
    write: false,
    outdir: 'dashboard',
    entryNames: 'dashboard',
    logLevel: 'silent',
    // uPlot's header comment is not a legal comment esbuild keeps; its MIT notice goes in as a banner.
    banner: { js: '/*! uPlot (c) Leon Sorokin, MIT License, https://github.com/leeoniya/uPlot */' },
  });
  const file = (extension: string) => {
    const output = result.outputFiles.find((f) => f.path.endsWith(extension));
    if (!output) throw new DashboardBuildError(`The dashboard build produced no ${extension} file.`);
    return output.text;
  };
  return { script: file('.js'), style: file('.css') };
}

/** Writes a build into `dir` (for the Lambda bundle). */
export async function writeDashboardAssets(dir: string): Promise<void> {
  const assets = await buildDashboardAssets();
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, SCRIPT_FILE), assets.script);
  await writeFile(join(dir, STYLE_FILE), assets.style);
}

/** The prebuilt assets in `prebuiltDir` when there are some, else a fresh build; read once and kept. */
export function dashboardAssets(prebuiltDir?: string): () => Promise<DashboardAssets> {
  let assets: Promise<DashboardAssets> | undefined;
  return () => {
    assets ??= (async () => {
      if (prebuiltDir && existsSync(join(prebuiltDir, SCRIPT_FILE))) {
        return {
          script: await readFile(join(prebuiltDir, SCRIPT_FILE), 'utf8'),
          style: await readFile(join(prebuiltDir, STYLE_FILE), 'utf8'),
        };
      }
      return buildDashboardAssets();
    })().catch((error: unknown) => {
      assets = undefined;
      throw error;
    });
    return assets;
  };
}
