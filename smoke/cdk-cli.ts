/**
 * @module
 * The smoke deploys and destroys through the repository's own CDK CLI (`npx cdk` in `cdk/`, README
 * "Deploying to AWS"): it uploads the Lambda bundles and the templates' assets, which the CloudFormation
 * SDK alone would not, and it is what a user runs by hand.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs one `cdk` command; rejects when it exits other than 0. */
export interface CdkCli {
  run(args: readonly string[], signal?: AbortSignal): Promise<void>;
}

/** A `cdk` command failed; names it and its exit. */
export class CdkCliError extends Error {
  override readonly name = 'CdkCliError';
}

const CDK_DIR = fileURLToPath(new URL('../cdk/', import.meta.url));

/**
 * The CDK CLI as a child process, its output on this terminal. It runs in a process group of its own, so a
 * Ctrl-C reaches the smoke only: a deploy is interrupted by the smoke (SIGINT to the group, when `signal`
 * aborts), and a destroy under way is never cut short by a second Ctrl-C.
 */
export const processCdkCli: CdkCli = {
  run: (args, signal) =>
    new Promise((resolve, reject) => {
      const child = spawn('npx', ['cdk', ...args], {
        cwd: CDK_DIR,
        stdio: 'inherit',
        detached: true,
        env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      });
      const onAbort = () => {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(new CdkCliError(`Could not start "npx cdk ${args[0]}".`, { cause: error }));
      });
      child.on('exit', (code, killedBy) => {
        signal?.removeEventListener('abort', onAbort);
        if (code === 0) resolve();
        else {
          const how = killedBy ? `was stopped by ${killedBy}` : `exited with ${code}`;
          reject(new CdkCliError(`"npx cdk ${args.join(' ')}" ${how}; its output is above.`));
        }
      });
    }),
};
