/**
 * @module
 * StateStore on S3: each key is one JSON object under a prefix. S3 replaces an object whole and reads are
 * strongly consistent after a write, which gives the port's atomicity and read-your-writes for free. A key
 * never written reads as undefined whether S3 answers 404 or 403 (see s3-document.ts).
 */
import { DeleteObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { checkStateName, type StateKey, type StateStore } from '../../core/ports/state-store.ts';
import { readS3Document, type S3Document, writeS3Document } from './s3-document.ts';

/** Where the state objects live. */
export interface S3StateStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /**
   * Key prefix of every state object; a trailing `/` is added when missing.
   * @default 'state/'
   */
  readonly prefix?: string;
}

/** A state object could not be read, written or parsed. */
export class S3StateStoreError extends Error {
  override readonly name = 'S3StateStoreError';
}

/** A {@link StateStore} keeping `<prefix><key>.json` objects in one bucket. */
export class S3StateStore implements StateStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(options: S3StateStoreOptions) {
    const prefix = options.prefix ?? 'state/';
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  async get<T>(stateKey: StateKey<T>): Promise<T | undefined> {
    const key = stateKey.name;
    const objectKey = this.#objectKey(key);
    let document: S3Document | undefined;
    try {
      document = await readS3Document(this.#client, this.#bucket, objectKey);
    } catch (error) {
      throw new S3StateStoreError(`Could not read state "${key}": ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (document === undefined) return undefined;
    try {
      return JSON.parse(document.text) as T;
    } catch (error) {
      throw new S3StateStoreError(
        `State "${key}" at s3://${this.#bucket}/${objectKey} is not valid JSON; delete the object to start that ` +
          'state afresh (the reader then re-snapshots or resumes from the slot).',
        { cause: error },
      );
    }
  }

  async put<T>(stateKey: StateKey<T>, value: T): Promise<void> {
    const key = stateKey.name;
    const objectKey = this.#objectKey(key);
    const body = JSON.stringify(value);
    if (body === undefined)
      throw new S3StateStoreError(`State "${key}" has no JSON form (undefined or a function).`);
    try {
      await writeS3Document(this.#client, this.#bucket, objectKey, body);
    } catch (error) {
      throw new S3StateStoreError(`Could not write state "${key}": ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async delete(stateKey: StateKey<unknown>): Promise<void> {
    const key = stateKey.name;
    const objectKey = this.#objectKey(key);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
    } catch (error) {
      throw new S3StateStoreError(
        `Could not delete state "${key}" at s3://${this.#bucket}/${objectKey}: ${(error as Error).message}.`,
        { cause: error },
      );
    }
  }

  async list(prefix: string): Promise<string[]> {
    const objectPrefix = `${this.#prefix}${checkStateName(prefix)}/`;
    const names: string[] = [];
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.#client },
        { Bucket: this.#bucket, Prefix: objectPrefix },
      )) {
        for (const object of page.Contents ?? []) {
          if (object.Key?.endsWith('.json'))
            names.push(object.Key.slice(this.#prefix.length, -'.json'.length));
        }
      }
    } catch (error) {
      throw new S3StateStoreError(
        `Could not list state under s3://${this.#bucket}/${objectPrefix}: ${(error as Error).message}. ` +
          'Check the function can s3:ListBucket on that prefix.',
        { cause: error },
      );
    }
    return names.sort();
  }

  #objectKey(key: string): string {
    return `${this.#prefix}${checkStateName(key)}.json`;
  }
}
