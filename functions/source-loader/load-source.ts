/**
 * @module
 * The one-shot loading of an empty source on AWS (the demo source sits in isolated subnets with no way in):
 * the same code as the CLI's `seed` and `import`, run inside the VPC. A dump is taken from the lake bucket
 * under `imports/`, copied to the function's /tmp and imported as `import --dump` would.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { z } from 'zod';
import { LAKE_PREFIXES } from '../../core/lake-layout.ts';
import { importDump } from '../../source/dump-import/dump-import.ts';
import { seedSource } from '../../source/seed/seed-source.ts';
import { migrateSource } from '../../source/source-migration.ts';

/** The lake bucket prefix dumps are imported from. */
export const IMPORTS_PREFIX = LAKE_PREFIXES.imports;

/** What to load: generated data (`seed`) or a `pg_dump` from the bucket (`import`). */
export const SOURCE_LOAD_REQUEST = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('seed'),
    scale: z.number().positive().max(1000).default(1),
    seed: z.number().int().default(1),
  }),
  z.object({
    action: z.literal('import'),
    key: z.string().refine((k) => k.startsWith(IMPORTS_PREFIX) && !k.includes('..'), {
      error: `key must name an object under ${IMPORTS_PREFIX} of the lake bucket`,
    }),
  }),
]);
export type SourceLoadRequest = z.infer<typeof SOURCE_LOAD_REQUEST>;

/** What was loaded. */
export interface SourceLoadResult {
  readonly action: SourceLoadRequest['action'];
  readonly rows: Readonly<Record<string, number>>;
  readonly totalRows: number;
  readonly warnings: readonly string[];
}

/** The request was not one the function understands; the message says what to send. */
export class SourceLoadRequestError extends Error {
  override readonly name = 'SourceLoadRequestError';
}

/** Validates an invocation payload. */
export function parseSourceLoadRequest(event: unknown): SourceLoadRequest {
  const parsed = SOURCE_LOAD_REQUEST.safeParse(event);
  if (!parsed.success) {
    throw new SourceLoadRequestError(
      `Send {"action":"seed","scale":1} or {"action":"import","key":"${IMPORTS_PREFIX}<dump>.sql"}: ` +
        parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '),
    );
  }
  return parsed.data;
}

/** Creates the source schema when missing and loads it; refuses a source that already holds rows. */
export async function loadSource(
  client: pg.ClientBase,
  request: SourceLoadRequest,
  dumps: { readonly s3: Pick<S3Client, 'send'>; readonly bucket: string },
): Promise<SourceLoadResult> {
  await migrateSource(client);
  if (request.action === 'seed') {
    const result = await seedSource(client, { scale: request.scale, seed: request.seed });
    return { action: 'seed', rows: result.rows, totalRows: result.totalRows, warnings: [] };
  }
  const dir = await mkdtemp(join(tmpdir(), 'totesys-import-'));
  try {
    const path = join(dir, 'dump.sql');
    const object = await dumps.s3.send(new GetObjectCommand({ Bucket: dumps.bucket, Key: request.key }));
    await pipeline(object.Body as Readable, createWriteStream(path));
    const result = await importDump(client, path);
    const totalRows = Object.values(result.rows).reduce((sum, n) => sum + n, 0);
    return { action: 'import', rows: result.rows, totalRows, warnings: result.warnings };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
