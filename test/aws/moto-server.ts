/**
 * @module
 * Starts moto's server mode (`moto_server`, from PyPI's `moto[server]`; `.ci/moto.sh` installs it) on a free
 * loopback port for one test file, and stops it afterwards. Every AWS service shares the one endpoint.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { type BucketLocationConstraint, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** A running moto server. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`, for the SDK clients' `endpoint`. */
  readonly endpoint: string;
  /** Client settings that point an AWS SDK v3 client at this server with dummy credentials. */
  readonly clientConfig: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string')
    throw new Error('Could not find a free loopback port.');
  return address.port;
}

/** Spawns `moto_server` and resolves once it answers, or rejects with how to install it. */
export async function startMoto(deadlineMs = 30_000): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };

  // moto (Werkzeug) prints "Running on http://..." to stderr once it listens: wait for that line, or for the
  // process to fail, or for the deadline.
  let deadlineTimer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000);
        if (stderr.includes('Running on')) resolve();
      });
      child.on('error', (error) =>
        reject(
          new Error(
            `moto_server could not be started (${error.message}). Install it with .ci/moto.sh ` +
              "(pip install 'moto[server]', or apt-get install python3-moto).",
            { cause: error },
          ),
        ),
      );
      child.on('exit', (code) =>
        reject(new Error(`moto_server exited with code ${code} before listening: ${stderr}`)),
      );
      deadlineTimer = setTimeout(
        () =>
          reject(
            new Error(
              `moto_server did not start listening on ${endpoint} within ${deadlineMs} ms: ${stderr}`,
            ),
          ),
        deadlineMs,
      );
    });
    const response = await fetch(`${endpoint}/moto-api/`);
    if (!response.ok) throw new Error(`moto_server on ${endpoint} answered HTTP ${response.status}.`);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(deadlineTimer);
  }

  return {
    endpoint,
    clientConfig: {
      endpoint,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    },
    stop,
  };
}

/** An S3 client on `moto` with the bucket `name` created in the client's region. */
export async function motoBucket(moto: MotoServer, name: string): Promise<S3Client> {
  const s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
  await s3.send(
    new CreateBucketCommand({
      Bucket: name,
      CreateBucketConfiguration: { LocationConstraint: moto.clientConfig.region as BucketLocationConstraint },
    }),
  );
  return s3;
}
