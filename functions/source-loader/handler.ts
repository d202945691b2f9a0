/**
 * @module
 * The source loader Lambda (invoked by hand, README "Load the demo source"): seeds or imports into the
 * empty source, with the same code as `totesys-stream seed` and `import`. Connection as the reader's: the
 * source secret (TOTESYS_SOURCE_SECRET_ARN) or URL, TLS by TOTESYS_DB_TLS; dumps from TOTESYS_LAKE_BUCKET.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import type pg from 'pg';
import { ENV, SERVICES } from '../../core/operations.ts';
import type { Log } from '../../core/ports/log.ts';
import { createClient } from '../../postgres/connections.ts';
import { readConfig, sourceConnection } from '../cdc-reader/config.ts';
import { lambdaLogger, powertoolsLog } from '../operations/powertools-log.ts';
import { loadSource, parseSourceLoadRequest, type SourceLoadResult } from './load-source.ts';

/** What the handler runs with. */
export interface SourceLoaderDependencies {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly s3: Pick<S3Client, 'send'>;
  readonly log: Log;
  connection(env: Readonly<Record<string, string | undefined>>): Promise<pg.ClientConfig>;
}

/** Builds the handler over its dependencies. */
export function createHandler(deps: SourceLoaderDependencies) {
  return async (
    event: unknown,
    context: Partial<Pick<Context, 'awsRequestId'>>,
  ): Promise<SourceLoadResult> => {
    const log = deps.log.with({ stage: 'seed', id: context.awsRequestId });
    const request = parseSourceLoadRequest(event);
    const client = createClient(await deps.connection(deps.env));
    await client.connect();
    try {
      const result = await loadSource(client, request, {
        s3: deps.s3,
        bucket: deps.env[ENV.lakeBucket] ?? '',
      });
      log.info(`source ${request.action} done`, { rows: result.totalRows, counts: result.rows });
      for (const warning of result.warnings) log.warn('import warning', { reason: warning });
      return result;
    } catch (error) {
      log.error(`source ${request.action} failed`, { error });
      throw error;
    } finally {
      await client.end();
    }
  };
}

/** The Lambda entry point. */
export const handler = createHandler({
  env: process.env,
  s3: new S3Client({}),
  log: powertoolsLog(lambdaLogger(SERVICES.seed)),
  // The reader's configuration: one definition of the source connection. The state bucket is not used here.
  connection: (env) => sourceConnection(readConfig({ ...env, [ENV.stateBucket]: env[ENV.lakeBucket] })),
});
