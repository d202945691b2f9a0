import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { S3LeaseStore } from '../../reader/state/s3-lease-store.ts';
import { describeLeaseStoreContract } from '../operations/lease-store-contract.ts';
import { type MotoServer, motoBucket, startMoto } from './moto-server.ts';

let moto: MotoServer;
let s3: S3Client;
const BUCKET = 'lease-bucket';

beforeAll(async () => {
  moto = await startMoto();
  s3 = await motoBucket(moto, BUCKET);
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

// Conditional writes (If-None-Match: *, If-Match: <ETag>) against moto's S3, which implements both.
describeLeaseStoreContract('S3 (moto)', (clock) => new S3LeaseStore({ client: s3, bucket: BUCKET, clock }));
