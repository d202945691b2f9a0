import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3ObjectStore, S3ObjectStoreError } from '../../lake/s3-object-store.ts';
import { type MotoServer, startMoto } from '../aws/moto-server.ts';
import { describeObjectStoreContract } from './object-store-contract.ts';
import { describeRoundLogContract, roundLogOver } from './round-log-contract.ts';
import { describeStateSnapshotsContract } from './state-snapshots-contract.ts';

let moto: MotoServer;
let client: S3Client;
let buckets = 0;

beforeAll(async () => {
  moto = await startMoto();
  client = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
});

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

async function freshBucket(): Promise<string> {
  buckets += 1;
  const bucket = `totesys-lake-${buckets}`;
  await client.send(
    new CreateBucketCommand({
      Bucket: bucket,
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' },
    }),
  );
  return bucket;
}

describeObjectStoreContract(
  'S3ObjectStore on moto',
  async () => new S3ObjectStore({ bucket: await freshBucket(), client }),
);

// The lake's documents as the Lambdas keep them in the bucket.
describeRoundLogContract('ObjectStoreRoundLog on S3 (moto)', async () => {
  const bucket = await freshBucket();
  return roundLogOver(() => new S3ObjectStore({ bucket, client }));
});

describeStateSnapshotsContract(
  'S3 (moto)',
  async () => new S3ObjectStore({ bucket: await freshBucket(), client }),
);

describe('S3ObjectStore', () => {
  it('pages through listings longer than one ListObjectsV2 page', async () => {
    const store = new S3ObjectStore({ bucket: await freshBucket(), client, listPageSize: 2 });
    const keys = [
      't/dt=2022-11-03/1',
      't/dt=2022-11-03/2',
      't/dt=2022-11-04/3',
      't/dt=2022-11-05/4',
      't/dt=2022-11-05/5',
    ];
    for (const key of [...keys].reverse()) await store.put(key, Uint8Array.of(1));
    const send = vi.spyOn(client, 'send');
    try {
      expect((await store.list('t/')).map((o) => o.key)).toEqual(keys);
      expect(send.mock.calls.filter(([command]) => command instanceof ListObjectsV2Command)).toHaveLength(3);
    } finally {
      send.mockRestore();
    }
  });

  it('names the operation and bucket, keeping the SDK error as cause, when the bucket is missing', async () => {
    const store = new S3ObjectStore({ bucket: 'no-such-bucket', client });
    const error = await store.put('a', Uint8Array.of(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3ObjectStoreError);
    expect((error as Error).message).toContain('S3 PutObject on s3://no-such-bucket/a failed');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});
