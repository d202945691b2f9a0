/**
 * @module
 * ObjectStore over an S3 bucket (AWS SDK v3). S3 already gives what the contract asks: a PUT is atomic and
 * durable once acknowledged, overwrites whole, and ListObjectsV2 returns keys in UTF-8 binary order; this
 * adapter only pages through listings and turns a missing key into `undefined`.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type ListObjectsV2CommandOutput,
  NoSuchKey,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import type { ListPrefixesOptions, ObjectInfo, ObjectStore } from '../core/ports/object-store.ts';

/** Where an {@link S3ObjectStore} keeps its objects. */
export interface S3ObjectStoreOptions {
  readonly bucket: string;
  /** A configured client (region, endpoint, credentials); by default one from the environment. */
  readonly client?: S3Client;
  /** Keys per ListObjectsV2 page (S3's maximum and default is 1,000). */
  readonly listPageSize?: number;
}

/** An S3 call failed; names the operation, bucket and key, and keeps the SDK error as `cause`. */
export class S3ObjectStoreError extends Error {
  override readonly name = 'S3ObjectStoreError';
}

/** An ObjectStore over one S3 bucket. */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly #client: S3Client;
  readonly #listPageSize: number | undefined;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.#client = options.client ?? new S3Client({});
    this.#listPageSize = options.listPageSize;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.#call('PutObject', key, () =>
      this.#client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body })),
    );
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.#call('GetObject', key, async () => {
      try {
        const output = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        if (!output.Body) return new Uint8Array();
        return await output.Body.transformToByteArray();
      } catch (error) {
        if (error instanceof NoSuchKey || (error instanceof Error && error.name === 'NoSuchKey'))
          return undefined;
        throw error;
      }
    });
  }

  async listKeys(prefix: string): Promise<string[]> {
    // S3's listing carries sizes and times anyway: nothing to save.
    return (await this.list(prefix)).map((object) => object.key);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const objects: ObjectInfo[] = [];
    for await (const page of this.#pages(prefix))
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        objects.push({
          key: object.Key,
          size: object.Size ?? 0,
          modifiedAt: object.LastModified?.getTime() ?? 0,
        });
      }
    return objects;
  }

  async listPrefixes(prefix: string, options: ListPrefixesOptions = {}): Promise<string[]> {
    const prefixes: string[] = [];
    for await (const page of this.#pages(prefix, '/', options.startAfter))
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) prefixes.push(common.Prefix);
    return prefixes.sort();
  }

  /** Every ListObjectsV2 page below `prefix` (the SDK's paginator), a failed page named like any call. */
  async *#pages(
    prefix: string,
    delimiter?: string,
    startAfter?: string,
  ): AsyncGenerator<ListObjectsV2CommandOutput> {
    const pages = paginateListObjectsV2(
      { client: this.#client, pageSize: this.#listPageSize },
      {
        Bucket: this.bucket,
        Prefix: prefix,
        ...(delimiter ? { Delimiter: delimiter } : {}),
        ...(startAfter === undefined ? {} : { StartAfter: startAfter }),
      },
    );
    const iterator = pages[Symbol.asyncIterator]();
    for (;;) {
      const next = await this.#call('ListObjectsV2', prefix, () => iterator.next());
      if (next.done) return;
      yield next.value;
    }
  }

  async delete(key: string): Promise<void> {
    await this.#call('DeleteObject', key, () =>
      this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
    );
  }

  async #call<T>(operation: string, key: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new S3ObjectStoreError(
        `S3 ${operation} on s3://${this.bucket}/${key} failed (${reason}). Check that the bucket exists, ` +
          'the role may use it, and the region is right.',
        { cause: error },
      );
    }
  }
}
