/**
 * @module
 * Reading and conditionally writing one small S3 object, shared by the S3 state and lease stores.
 *
 * A missing object is a normal first run. S3 answers a GET of a missing key with 404 `NoSuchKey` when the
 * caller may `s3:ListBucket` the bucket, and with 403 `AccessDenied` when it may not (S3 then hides whether
 * the key exists); the functions' ListBucket is conditioned on a prefix, and whether a prefix condition counts
 * is not documented. So a 403 is settled by listing the key: absent means missing, present (or a list that is
 * refused too) means a real permission problem, reported with what to grant.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** An object's text and the ETag a conditional write compares against. */
export interface S3Document {
  readonly text: string;
  readonly etag: string;
}

/** S3 refused a read or write for a reason the caller must act on; the message says which grant is missing. */
export class S3DocumentError extends Error {
  override readonly name = 'S3DocumentError';
}

/** A conditional write lost the race (412 PreconditionFailed, or 409 ConditionalRequestConflict). */
export class ConditionFailedError extends Error {
  override readonly name = 'ConditionFailedError';
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** The object at `key`, or undefined when there is none (404, or 403 for a key the bucket does not list). */
export async function readS3Document(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<S3Document | undefined> {
  try {
    const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { text: (await output.Body?.transformToString('utf-8')) ?? '', etag: output.ETag ?? '' };
  } catch (error) {
    if (nameOf(error) === 'NoSuchKey' || statusOf(error) === 404) return undefined;
    if (nameOf(error) === 'AccessDenied' || statusOf(error) === 403) {
      if (!(await listsKey(client, bucket, key, error))) return undefined;
      throw new S3DocumentError(
        `s3://${bucket}/${key} exists but reading it was refused (AccessDenied). Grant s3:GetObject on it.`,
        { cause: error },
      );
    }
    throw new S3DocumentError(`Could not read s3://${bucket}/${key}: ${(error as Error).message}.`, {
      cause: error,
    });
  }
}

/** Whether the bucket lists `key`; a refused list means the 403 cannot be explained as a missing key. */
async function listsKey(client: S3Client, bucket: string, key: string, denied: unknown): Promise<boolean> {
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
    return (listed.Contents ?? []).some((object) => object.Key === key);
  } catch (error) {
    throw new S3DocumentError(
      `Reading s3://${bucket}/${key} was refused (AccessDenied) and so was listing it. Grant s3:GetObject on ` +
        `the object and s3:ListBucket on the bucket for its prefix, so a missing key answers 404.`,
      { cause: new AggregateError([denied, error], 'GetObject and ListObjectsV2 both refused') },
    );
  }
}

/** How a write is conditioned: create only if absent, replace only the version read, or unconditionally. */
export type WriteCondition = { readonly ifAbsent: true } | { readonly ifEtag: string } | undefined;

/** Writes `text` as JSON at `key`; returns the new ETag. Throws {@link ConditionFailedError} on a lost race. */
export async function writeS3Document(
  client: S3Client,
  bucket: string,
  key: string,
  text: string,
  condition?: WriteCondition,
): Promise<string> {
  try {
    const output = await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: text,
        ContentType: 'application/json',
        ...(condition && 'ifAbsent' in condition ? { IfNoneMatch: '*' } : {}),
        ...(condition && 'ifEtag' in condition ? { IfMatch: condition.ifEtag } : {}),
      }),
    );
    return output.ETag ?? '';
  } catch (error) {
    const status = statusOf(error);
    // A replaced object that is gone answers 404 to If-Match: the race is lost all the same.
    const lost = status === 412 || status === 409 || (status === 404 && condition && 'ifEtag' in condition);
    if (condition && (lost || nameOf(error) === 'PreconditionFailed')) {
      throw new ConditionFailedError(`s3://${bucket}/${key} changed since it was read.`, { cause: error });
    }
    throw new S3DocumentError(
      `Could not write s3://${bucket}/${key}: ${(error as Error).message}. Check the function may s3:PutObject there.`,
      { cause: error },
    );
  }
}
