/**
 * @module
 * Paths of the repository files the CDK app builds from: the Lambda entries and the ad-hoc queries.
 * Resolved from this file, not the working directory, so `cdk synth` (run in cdk/) and vitest (run at the
 * repository root) find the same files.
 */

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the directory holding package.json and package-lock.json). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The handler file of each Lambda, each exporting `handler`. */
export const FUNCTION_ENTRIES = {
  reader: join(REPO_ROOT, 'functions', 'cdc-reader', 'handler.ts'),
  transformer: join(REPO_ROOT, 'functions', 'transformer', 'handler.ts'),
  loader: join(REPO_ROOT, 'functions', 'loader', 'handler.ts'),
  compaction: join(REPO_ROOT, 'functions', 'compaction', 'handler.ts'),
  sourceLoader: join(REPO_ROOT, 'functions', 'source-loader', 'handler.ts'),
  smokeProbe: join(REPO_ROOT, 'functions', 'smoke-probe', 'handler.ts'),
  api: join(REPO_ROOT, 'functions', 'api', 'handler.ts'),
  collector: join(REPO_ROOT, 'functions', 'collector', 'handler.ts'),
  forecast: join(REPO_ROOT, 'functions', 'forecast', 'handler.ts'),
} as const;

/** The Lambda entries a pipeline is built from (tests substitute a stub so they need no bundle). */
export type FunctionEntries = {
  readonly [K in Exclude<
    keyof typeof FUNCTION_ENTRIES,
    'sourceLoader' | 'compaction' | 'smokeProbe' | 'api' | 'collector' | 'forecast'
  >]: string;
} & {
  readonly sourceLoader?: string;
  readonly compaction?: string;
  readonly smokeProbe?: string;
  readonly api?: string;
  readonly collector?: string;
  readonly forecast?: string;
};

/** The directory whose `*.sql` files become Athena named queries. */
export const ADHOC_QUERIES_DIR = join(REPO_ROOT, 'queries', 'adhoc');
