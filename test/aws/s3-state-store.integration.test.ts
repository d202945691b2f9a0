import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3StateStore, S3StateStoreError } from '../../reader/state/s3-state-store.ts';
import { type MotoServer, startMoto } from './moto-server.ts';

let moto: MotoServer;
let s3: S3Client;
const BUCKET = 'state-bucket';

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
  await s3.send(
    new CreateBucketCommand({
      Bucket: BUCKET,
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' },
    }),
  );
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

describe('S3StateStore', () => {
  it('returns undefined for a key never written', async () => {
    const store = new S3StateStore({ client: s3, bucket: BUCKET });
    expect(await store.get('reader/never')).toBeUndefined();
  });

  it('reads back what it wrote, as a JSON object under the prefix', async () => {
    const store = new S3StateStore({ client: s3, bucket: BUCKET, prefix: 'cdc' });
    const value = { lsn: '12345678901234567890', tables: { staff: 'done' } };
    await store.put('reader/snapshot', value);

    expect(await store.get('reader/snapshot')).toEqual(value);
    const raw = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cdc/reader/snapshot.json' }));
    expect(raw.ContentType).toBe('application/json');
    expect(JSON.parse(await raw.Body!.transformToString())).toEqual(value);
  });

  it('replaces a document whole on a second put (last writer wins)', async () => {
    const store = new S3StateStore({ client: s3, bucket: BUCKET });
    await store.put('reader/position', { lsn: '1', extra: true });
    await store.put('reader/position', { lsn: '2' });
    expect(await store.get('reader/position')).toEqual({ lsn: '2' });
  });

  it('forgets a deleted key, and deleting a missing key is not an error', async () => {
    const store = new S3StateStore({ client: s3, bucket: BUCKET });
    await store.put('reader/gone', 1);
    await store.delete('reader/gone');
    expect(await store.get('reader/gone')).toBeUndefined();
    await expect(store.delete('reader/gone')).resolves.toBeUndefined();
  });

  it('keeps two prefixes apart', async () => {
    const a = new S3StateStore({ client: s3, bucket: BUCKET, prefix: 'a/' });
    const b = new S3StateStore({ client: s3, bucket: BUCKET, prefix: 'b/' });
    await a.put('k', 'from a');
    expect(await b.get('k')).toBeUndefined();
  });

  it('says which object to delete when a document is not JSON', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'state/reader/corrupt.json', Body: '{"lsn":' }),
    );
    const store = new S3StateStore({ client: s3, bucket: BUCKET });
    await expect(store.get('reader/corrupt')).rejects.toThrow(
      /s3:\/\/state-bucket\/state\/reader\/corrupt.json is not valid JSON; delete the object/,
    );
  });

  it('names the bucket and key when S3 refuses, keeping the cause', async () => {
    const store = new S3StateStore({ client: s3, bucket: 'no-such-bucket' });
    const error = (await store.put('reader/x', 1).catch((e: unknown) => e)) as S3StateStoreError;
    expect(error).toBeInstanceOf(S3StateStoreError);
    expect(error.message).toContain('s3://no-such-bucket/state/reader/x.json');
    expect((error.cause as Error).name).toBe('NoSuchBucket');
  });

  it('refuses keys that could escape the prefix', async () => {
    const store = new S3StateStore({ client: s3, bucket: BUCKET });
    await expect(store.put('../other', 1)).rejects.toThrow(/not a short slash-separated name/);
    await expect(store.get('/abs')).rejects.toThrow(/not a short slash-separated name/);
  });
});
