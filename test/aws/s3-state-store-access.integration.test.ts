import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateKey } from '../../core/ports/state-store.ts';
import { S3StateStore } from '../../reader/state/s3-state-store.ts';
import { type MotoServer, startMoto } from './moto-server.ts';

// S3 answers a GET of a missing key with 403 AccessDenied (not 404) when the caller may not list the bucket.
// moto enforces IAM once told to (POST /moto-api/reset-auth): these users may not s3:GetObject at all, so
// every GET is a 403 whether or not the key exists, which is the case the store must tell apart. The keys sit
// at the bucket root (prefix '') because moto's signature check refuses a ListObjectsV2 whose prefix holds
// an encoded '/' (SignatureDoesNotMatch); S3 itself has no such limit.

let moto: MotoServer;
const BUCKET = 'state-bucket';
const clients: S3Client[] = [];

async function userClient(iam: IAMClient, name: string, statements: object[]): Promise<S3Client> {
  await iam.send(new CreateUserCommand({ UserName: name }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: name,
      PolicyName: 'state',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  const client = new S3Client({
    ...moto.clientConfig,
    forcePathStyle: true,
    credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
  });
  clients.push(client);
  return client;
}

let listing: S3Client;
let blind: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  const admin = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
  const iam = new IAMClient(moto.clientConfig);
  await admin.send(
    new CreateBucketCommand({
      Bucket: BUCKET,
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' },
    }),
  );
  await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'snapshot.json', Body: '{}' }));
  const write = { Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/*` };
  listing = await userClient(iam, 'listing', [
    write,
    { Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${BUCKET}` },
  ]);
  blind = await userClient(iam, 'blind', [write]);
  admin.destroy();
  iam.destroy();
  const enabled = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
  expect(enabled.ok).toBe(true);
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await moto?.stop();
});

describe('S3StateStore when S3 answers 403 for a key', () => {
  it('treats a key the bucket does not list as missing: a normal first run', async () => {
    const store = new S3StateStore({ client: listing, bucket: BUCKET, prefix: '' });
    expect(await store.get(stateKey('position'))).toBeUndefined();
  });

  it('reports a key that exists but cannot be read, naming the grant', async () => {
    const store = new S3StateStore({ client: listing, bucket: BUCKET, prefix: '' });
    await expect(store.get(stateKey('snapshot'))).rejects.toThrow(
      /s3:\/\/state-bucket\/snapshot.json exists but reading it was refused \(AccessDenied\)\. Grant s3:GetObject/,
    );
  });

  it('reports a 403 it cannot explain when listing is refused too, naming both grants', async () => {
    const store = new S3StateStore({ client: blind, bucket: BUCKET, prefix: '' });
    await expect(store.get(stateKey('position'))).rejects.toThrow(/s3:GetObject.*s3:ListBucket/);
  });
});
