/**
 * @module
 * The smoke probe Lambda (deployed only with `-c smokeProbe=true`, which `npm run aws:smoke` sets): the smoke
 * run's way into the demo's isolated subnets. `{"action":"change","marker":"…"}` makes one change per source
 * table; `{"action":"inspect","changes":[…]}` says which of them the warehouse shows. It connects with the
 * demo's secrets, read by the pipeline's own secret reader, over verified TLS.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { ENV } from '../../core/operations.ts';
import { SOURCE_TABLE_NAMES } from '../../core/schema/source-tables.ts';
import { createClient } from '../../postgres/connections.ts';
import { readDatabaseSecret } from '../operations/database-secret.ts';
import { type Environment, parseEnvironment, requiredText, tlsSetting } from '../operations/environment.ts';
import {
  inspectProbeChanges,
  makeProbeChanges,
  type ProbeChange,
  type ProbeInspection,
} from './probe-changes.ts';

/** What the probe is asked to do. */
export const SMOKE_PROBE_REQUEST = z.discriminatedUnion('action', [
  z.object({ action: z.literal('change'), marker: z.string().min(1).max(64) }),
  z.object({
    action: z.literal('inspect'),
    changes: z.array(
      z.object({
        table: z.enum(SOURCE_TABLE_NAMES),
        key: z.number().int(),
        value: z.string(),
        committedAt: z.string(),
      }),
    ),
  }),
]);
export type SmokeProbeRequest = z.infer<typeof SMOKE_PROBE_REQUEST>;

/** The answer to `change` (the changes made) or `inspect`. */
export type SmokeProbeResponse = { readonly changes: readonly ProbeChange[] } | ProbeInspection;

/** A payload or environment the probe cannot work with; the message says what to send or set. */
export class SmokeProbeError extends Error {
  override readonly name = 'SmokeProbeError';
}

const SCHEMA = z.object({
  [ENV.sourceSecretArn]: requiredText(`set ${ENV.sourceSecretArn} to the demo source's secret`),
  [ENV.warehouseSecretArn]: requiredText(`set ${ENV.warehouseSecretArn} to the demo warehouse's secret`),
  [ENV.databaseTls]: tlsSetting(ENV.databaseTls),
});

/** What the handler runs with. */
export interface SmokeProbeDependencies {
  readonly env: Environment;
  readonly secrets: Pick<SecretsManagerClient, 'send'>;
}

/** Builds the handler over its dependencies. */
export function createHandler(deps: SmokeProbeDependencies) {
  return async (event: unknown): Promise<SmokeProbeResponse> => {
    const parsed = SMOKE_PROBE_REQUEST.safeParse(event);
    if (!parsed.success) {
      throw new SmokeProbeError(
        'Send {"action":"change","marker":"<text>"} or {"action":"inspect","changes":[…]}: ' +
          parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '),
      );
    }
    const request = parsed.data;
    const settings = parseEnvironment(SCHEMA, deps.env, 'Smoke probe configuration', SmokeProbeError);
    const ssl = settings[ENV.databaseTls] === 'require' ? { rejectUnauthorized: true } : false;
    const [arn, database] =
      request.action === 'change'
        ? [settings[ENV.sourceSecretArn], 'totesys']
        : [settings[ENV.warehouseSecretArn], 'warehouse'];
    const client = createClient({ ...(await readDatabaseSecret(deps.secrets, arn, database)), ssl });
    await client.connect();
    try {
      return request.action === 'change'
        ? { changes: await makeProbeChanges(client, request.marker) }
        : await inspectProbeChanges(client, request.changes);
    } finally {
      await client.end();
    }
  };
}

/** The Lambda entry point. */
export const handler = createHandler({ env: process.env, secrets: new SecretsManagerClient({}) });
