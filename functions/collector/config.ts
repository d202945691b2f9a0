/**
 * @module
 * The collector Lambda's configuration, read from the environment (names in core/operations.ts) and validated
 * at start: which collector it runs, the secret of its API key (a keyed collector's), the stream prefix, and
 * the lake bucket (the `files` collector's drop prefix and error location), and the API key itself, read from
 * Secrets Manager on every run so a new key is picked up without a redeploy. The key never reaches a log.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { DEFAULTS, ENV, MARKET_API_KEY_FIELD } from '../../core/operations.ts';
import { COLLECTOR_NAMES, type CollectorName, needsApiKey } from '../../core/schema/market-lake-tables.ts';
import { type Environment, optionalText, parseEnvironment } from '../operations/environment.ts';

/** The validated configuration. */
export interface CollectorConfig {
  readonly collector: CollectorName;
  /** The API key's secret; set exactly for the keyed collectors (equities, fred, crypto). */
  readonly apiKeySecretArn?: string;
  /** The API's base URL, when not the collector's default. */
  readonly apiUrl?: string;
  readonly streamPrefix: string;
  /** The lake bucket; required by `files` (its drop prefix and error objects are there). */
  readonly lakeBucket?: string;
}

/** The environment is missing or has invalid settings; the message names each variable. */
export class CollectorConfigError extends Error {
  override readonly name = 'CollectorConfigError';
}

const SCHEMA = z.object({
  [ENV.collectorName]: z.enum(COLLECTOR_NAMES, {
    error: (issue) =>
      `set ${ENV.collectorName} to one of ${COLLECTOR_NAMES.join(', ')} (got ${JSON.stringify(issue.input)})`,
  }),
  [ENV.marketApiKeySecretArn]: optionalText,
  [ENV.marketApiUrl]: optionalText,
  [ENV.streamPrefix]: optionalText,
  [ENV.lakeBucket]: optionalText,
});

/** Reads and validates the configuration; throws {@link CollectorConfigError} listing every problem. */
export function readCollectorConfig(env: Environment = process.env): CollectorConfig {
  const name = env[ENV.collectorName] as CollectorName;
  const keyed = COLLECTOR_NAMES.includes(name) && needsApiKey(name);
  const problems = [
    ...(keyed && !env[ENV.marketApiKeySecretArn]
      ? [`set ${ENV.marketApiKeySecretArn} (the secret holding the ${name} API key)`]
      : []),
    ...(name === 'files' && !env[ENV.lakeBucket]
      ? [`set ${ENV.lakeBucket} (the bucket whose drop/ prefix the files collector reads)`]
      : []),
  ];
  const parsed = parseEnvironment(SCHEMA, env, 'The collector configuration', CollectorConfigError, problems);
  const apiKeySecretArn = parsed[ENV.marketApiKeySecretArn];
  const apiUrl = parsed[ENV.marketApiUrl];
  const lakeBucket = parsed[ENV.lakeBucket];
  return {
    collector: parsed[ENV.collectorName],
    ...(apiKeySecretArn ? { apiKeySecretArn } : {}),
    ...(apiUrl ? { apiUrl } : {}),
    streamPrefix: parsed[ENV.streamPrefix] ?? DEFAULTS.streamPrefix,
    ...(lakeBucket ? { lakeBucket } : {}),
  };
}

/** The secret is missing, empty or not a plain string; the message names the secret, never its value. */
export class ApiKeySecretError extends Error {
  override readonly name = 'ApiKeySecretError';
  readonly failureKind = 'deterministic' as const;
}

/**
 * The API key in secret `arn`: the secret's string alone, or the `apiKey` field of a JSON object (the console's
 * key/value editor writes that shape).
 */
export async function readApiKey(secrets: Pick<SecretsManagerClient, 'send'>, arn: string): Promise<string> {
  const output = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  const text = (output.SecretString ?? '').trim();
  let key: unknown = text;
  if (text.startsWith('{')) {
    try {
      key = (JSON.parse(text) as Record<string, unknown>)[MARKET_API_KEY_FIELD];
    } catch (error) {
      throw new ApiKeySecretError(`Secret ${arn} starts like JSON but is not; put the API key alone in it.`, {
        cause: error,
      });
    }
  }
  if (typeof key !== 'string' || key.trim() === '') {
    throw new ApiKeySecretError(
      `Secret ${arn} holds no API key; put it there: aws secretsmanager put-secret-value --secret-id ${arn} ` +
        "--secret-string '<key>' (README, Market data on AWS).",
    );
  }
  return key.trim();
}
