/**
 * @module
 * The loader Lambda (on a schedule): one run of loader/run-load.ts, then its figures as embedded-metric-format
 * log lines. Adapters are created once per container and reused across invocations.
 */
import type { Context } from 'aws-lambda';
import { loaderMetricDocuments } from '../../loader/loader-metrics.ts';
import { type LoaderDeps, type LoadOutcome, runLoad } from '../../loader/run-load.ts';
import { createLoaderDeps, readLoaderConfig } from './config.ts';

/** A handler over the given adapters (tests inject DuckDB and a test warehouse). */
export function createHandler(makeDeps: () => Promise<LoaderDeps>) {
  let deps: Promise<LoaderDeps> | undefined;
  return async (_event: unknown, context: Pick<Context, 'awsRequestId'>): Promise<LoadOutcome> => {
    deps ??= makeDeps();
    // A failed set-up must not stick to the container: try again on the next invocation.
    const ready = await deps.catch((error: unknown) => {
      deps = undefined;
      throw error;
    });
    const outcome = await runLoad(ready);
    for (const metrics of loaderMetricDocuments(outcome)) console.log(JSON.stringify(metrics));
    const { status } = outcome;
    console.log(
      JSON.stringify({ level: 'INFO', message: 'loader run', requestId: context.awsRequestId, status }),
    );
    return outcome;
  };
}

/** The Lambda entry point. */
export const handler = createHandler(async () => createLoaderDeps(await readLoaderConfig(process.env)));
