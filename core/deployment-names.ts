/**
 * @module
 * The names of one AWS deployment, all derived from its stack-name prefix, so that a second deployment in the
 * same account and region (the smoke run of `npm run aws:smoke`, a staging copy) shares no name with the
 * first and can neither collide with it nor overwrite it. The CDK app (context key `prefix`) and the smoke
 * both read the names from here.
 *
 * The empty prefix is the default deployment and keeps the names it always had (`TotesysLake`, bucket
 * `totesys-lake-<account>-<region>`, workgroup `totesys`, …), so an existing deployment is never replaced.
 * Any other prefix `p` puts `p-` in front of each name (`p_` for the Glue database, whose names Athena reads
 * best without hyphens).
 */
import { DEFAULTS, METRIC_NAMESPACE } from './operations.ts';
import { GLUE_DATABASE } from './schema/lake-tables.ts';

/** What a prefix may be: lowercase letters, digits and inner hyphens, 2 to 20 characters, a letter first. */
export const DEPLOYMENT_PREFIX_PATTERN = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$/;

/** The names every deployment-wide resource of one deployment carries. */
export interface DeploymentNames {
  /** The prefix they derive from; empty for the default deployment. */
  readonly prefix: string;
  /** The stateful stack (bucket, catalog, workgroup, demo databases). */
  readonly lakeStack: string;
  /** The stateless stack (Lambdas, delivery streams, endpoints, monitoring). */
  readonly ingestStack: string;
  /** The GitHub OIDC deploy role's stack (only with `githubRepository`). */
  readonly deployAccessStack: string;
  /** Glue database of the lake tables. */
  readonly glueDatabase: string;
  /** Athena workgroup the loader and ad-hoc queries use. */
  readonly athenaWorkgroup: string;
  /** The CloudWatch dashboard. */
  readonly dashboard: string;
  /** Default prefix of the delivery streams (`<streamPrefix><source table>`). */
  readonly streamPrefix: string;
  /** CloudWatch namespace of the pipeline's own metrics, so one deployment's alarms never read another's. */
  readonly metricNamespace: string;
  /** The lake bucket of this deployment in `account` and `region` (tokens or literals). */
  lakeBucket(account: string, region: string): string;
}

/** A prefix that breaks {@link DEPLOYMENT_PREFIX_PATTERN}; the message says what is allowed. */
export class DeploymentPrefixError extends Error {
  override readonly name = 'DeploymentPrefixError';
}

/** Throws {@link DeploymentPrefixError} unless `prefix` is empty or a valid prefix. */
export function checkDeploymentPrefix(prefix: string): string {
  if (prefix !== '' && !DEPLOYMENT_PREFIX_PATTERN.test(prefix)) {
    throw new DeploymentPrefixError(
      `The deployment prefix "${prefix}" is not valid: use 2 to 20 lowercase letters, digits and inner ` +
        'hyphens, starting with a letter (e.g. smoke-3f9a1c2b); it is put in front of the bucket name, ' +
        'which S3 limits to 63 lowercase characters.',
    );
  }
  return prefix;
}

/** The names of the deployment with stack-name prefix `prefix` ('' for the default deployment). */
export function deploymentNames(prefix = ''): DeploymentNames {
  checkDeploymentPrefix(prefix);
  const dash = prefix === '' ? '' : `${prefix}-`;
  return {
    prefix,
    lakeStack: `${dash}TotesysLake`,
    ingestStack: `${dash}TotesysIngest`,
    deployAccessStack: `${dash}TotesysDeployAccess`,
    glueDatabase: prefix === '' ? GLUE_DATABASE : `${prefix.replaceAll('-', '_')}_${GLUE_DATABASE}`,
    athenaWorkgroup: `${dash}totesys`,
    dashboard: `${dash}totesys-stream`,
    streamPrefix: `${dash}${DEFAULTS.streamPrefix}`,
    metricNamespace: `${dash}${METRIC_NAMESPACE}`,
    lakeBucket: (account, region) => `${dash}totesys-lake-${account}-${region}`,
  };
}
