/**
 * @module
 * Runs the real `totesys-stream` bin as a child process with a deadline, for CLI tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/totesys-stream.js', import.meta.url));

/** What a finished CLI run printed and how it exited. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running CLI process whose output can be watched. */
export interface RunningCli {
  readonly child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Resolves when stdout matches `pattern`, or rejects at the deadline. */
  waitFor(pattern: RegExp, deadlineMs?: number): Promise<void>;
  finished: Promise<CliResult>;
}

/** Starts the CLI with `args`; it is killed (SIGKILL) if still running after `deadlineMs`. */
export function startCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  deadlineMs = 90_000,
): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, TOTESYS_SOURCE_URL: '', TOTESYS_WAREHOUSE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watchProcess(child, deadlineMs);
}

/** Collects the output of `child` (stdout and stderr piped); it is killed (SIGKILL) after `deadlineMs`. */
export function watchProcess(child: ChildProcess, deadlineMs = 90_000): RunningCli {
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  const finished = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      for (const listener of listeners) listener();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    output: () => ({ stdout, stderr }),
    finished,
    waitFor(pattern, waitMs = 60_000) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`CLI output did not match ${pattern} in time.\nstdout: ${stdout}\nstderr: ${stderr}`),
          );
        }, waitMs);
        const check = () => {
          if (pattern.test(stdout)) {
            clearTimeout(deadline);
            listeners.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(deadline);
            listeners.delete(check);
            reject(new Error(`CLI exited before printing ${pattern}.\nstdout: ${stdout}\nstderr: ${stderr}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Runs the CLI to completion. */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  deadlineMs = 90_000,
): Promise<CliResult> {
  return startCli(args, env, deadlineMs).finished;
}
