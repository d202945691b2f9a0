/** The RoundLog and StateSnapshots contracts over S3 (moto), as the Lambdas keep them in the lake bucket. */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { S3ObjectStore } from '../../lake/s3-object-store.ts';
import { type MotoServer, startMoto } from '../aws/moto-server.ts';
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
  const bucket = `totesys-lake-documents-${buckets}`;
  await client.send(
    new CreateBucketCommand({
      Bucket: bucket,
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' },
    }),
  );
  return bucket;
}

describeRoundLogContract('ObjectStoreRoundLog on S3 (moto)', async () => {
  const bucket = await freshBucket();
  return roundLogOver(() => new S3ObjectStore({ bucket, client }));
});

describeStateSnapshotsContract(
  'S3 (moto)',
  async () => new S3ObjectStore({ bucket: await freshBucket(), client }),
);
