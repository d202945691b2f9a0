import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateKey } from '../../core/ports/state-store.ts';
import { S3StateStore, S3StateStoreError } from '../../reader/state/s3-state-store.ts';
import { describeStateStoreContract } from '../support/state-store-contract.ts';
import { type MotoServer, motoBucket, startMoto } from './moto-server.ts';

let moto: MotoServer;
let s3: S3Client;
const BUCKET = 'state-bucket';

beforeAll(async () => {
  moto = await startMoto();
  s3 = await motoBucket(moto, BUCKET);
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

describe('S3StateStore', () => {
  it('keeps each document as a JSON object under the prefix', async () => {
    const store = new S3StateStore({ client: s3, bucket: BUCKET, prefix: 'cdc' });
    const value = { lsn: '12345678901234567890', tables: { staff: 'done' } };
    await store.put(stateKey('reader/snapshot'), value);

    const raw = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cdc/reader/snapshot.json' }));
    expect(raw.ContentType).toBe('application/json');
    expect(JSON.parse(await raw.Body!.transformToString())).toEqual(value);
  });

  it('keeps two prefixes apart', async () => {
    const a = new S3StateStore({ client: s3, bucket: BUCKET, prefix: 'a/' });
    const b = new S3StateStore({ client: s3, bucket: BUCKET, prefix: 'b/' });
    await a.put(stateKey('k'), 'from a');
    expect(await b.get(stateKey('k'))).toBeUndefined();
    expect(await b.list('k')).toEqual([]);
  });

  it('says which object to delete when a document is not JSON', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'state/reader/corrupt.json', Body: '{"lsn":' }),
    );
    const store = new S3StateStore({ client: s3, bucket: BUCKET });
    await expect(store.get(stateKey('reader/corrupt'))).rejects.toThrow(
      /s3:\/\/state-bucket\/state\/reader\/corrupt.json is not valid JSON; delete the object/,
    );
  });

  it('names the bucket and key when S3 refuses, keeping the cause', async () => {
    const store = new S3StateStore({ client: s3, bucket: 'no-such-bucket' });
    const error = (await store.put(stateKey('reader/x'), 1).catch((e: unknown) => e)) as S3StateStoreError;
    expect(error).toBeInstanceOf(S3StateStoreError);
    expect(error.message).toContain('s3://no-such-bucket/state/reader/x.json');
    expect(((error.cause as Error).cause as Error).name).toBe('NoSuchBucket');
  });
});

let prefixes = 0;
describeStateStoreContract('S3StateStore on moto', async () => {
  const prefix = `contract-${++prefixes}/`;
  return {
    store: new S3StateStore({ client: s3, bucket: BUCKET, prefix }),
    reopen: () => new S3StateStore({ client: s3, bucket: BUCKET, prefix }),
  };
});
