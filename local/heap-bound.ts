/**
 * @module
 * Running a long-lived command under the heap bound (core/memory-bounds.ts `heapBytes`, `TOTESYS_HEAP_MIB`):
 * the CLI's commands (cli/bounded-commands.ts) and the memory benchmark (bench/memory.ts).
 *
 * V8 fixes its heap limit when the process starts, so the limit cannot be applied from inside a running
 * process: a command that should run bounded starts the same command again in a child Node with
 * `--max-old-space-size` (after NODE_OPTIONS, so the setting wins) and waits for it. The launching process
 * stays as small as Node itself and only relays, so that the command behaves as if it ran in the launcher:
 *
 * - stdin, stdout and stderr are inherited (a terminal stays a terminal for the child);
 * - SIGINT, SIGTERM and SIGHUP sent to the launcher alone are relayed to the child. A Ctrl-C at a terminal
 *   reaches both, so the child sees it twice; `up` already takes a repeat within two seconds as that echo
 *   (cli/services.ts `stopSignal`);
 * - the launcher exits with the child's exit code, or dies of the signal that killed the child;
 * - when the launcher is killed (SIGKILL, which cannot be relayed) the child sees its end of a pipe close and
 *   kills itself with SIGKILL, so "kill -9 of the pipeline" stays what it was (bench/chaos.ts).
 *
 * A process already started with the flag at the bound's value runs the command itself.
 */
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { constants } from 'node:os';

const MIB = 1024 * 1024;

/** The signals the launcher relays to the child. */
const RELAYED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const satisfies readonly NodeJS.Signals[];

/** Tells the child which file descriptor is the pipe whose end means the launcher is gone. */
const LAUNCHER_PIPE_VARIABLE = 'TOTESYS_LAUNCHER_PIPE_FD';

/** Node's flag for a heap bound of `heapBytes`. */
export function heapBoundFlag(heapBytes: number): string {
  return `--max-old-space-size=${Math.ceil(heapBytes / MIB)}`;
}

/**
 * True when this process was started with the flag for `heapBytes` (on its command line, or in NODE_OPTIONS
 * without a command-line flag overriding it).
 */
export function runsUnderHeapBound(
  heapBytes: number,
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): boolean {
  const flags = [...(nodeOptions ?? '').split(/\s+/), ...execArgv].filter((flag) =>
    /^--max[-_]old[-_]space[-_]size=/.test(flag),
  );
  return flags.at(-1)?.replace(/_/g, '-') === heapBoundFlag(heapBytes);
}

/**
 * Starts `node [this process's flags] <flag> <script> <args>` (the same command, bounded), relays signals to it
 * and resolves with its exit code; when a signal killed it, this process kills itself with the same signal.
 * `argv` is `process.argv` of the command to run (its script first after Node).
 */
export async function relaunchUnderHeapBound(
  heapBytes: number,
  argv: readonly string[] = process.argv,
): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, heapBoundFlag(heapBytes), ...argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [LAUNCHER_PIPE_VARIABLE]: '3' },
  });
  const relay = (signal: NodeJS.Signals) => {
    child.kill(signal);
  };
  for (const signal of RELAYED_SIGNALS) process.on(signal, relay);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    },
  ).finally(() => {
    for (const signal of RELAYED_SIGNALS) process.off(signal, relay);
    child.stdio[3]?.destroy();
  });
  if (signal !== null) {
    process.kill(process.pid, signal);
    // A signal whose default action does not end the process: report it the way a shell does.
    return 128 + constants.signals[signal];
  }
  return code ?? 1;
}

let launcherPid: number | undefined;

/**
 * The pid of the command as its user started it: the launcher's in a child started by
 * {@link relaunchUnderHeapBound} (signals sent to it reach the child; a SIGKILL ends both), else this
 * process's. What the data dir's lock names as its holder (local/data-dir-lock.ts).
 */
export function commandPid(): number {
  return launcherPid ?? process.pid;
}

/**
 * In a child started by {@link relaunchUnderHeapBound}: kills this process with SIGKILL as soon as the
 * launcher is gone (its end of the pipe closed), as if the kill had reached it. Does nothing in a process
 * started otherwise. Called once, at start.
 */
export function dieWithLauncher(env: NodeJS.ProcessEnv = process.env): void {
  const fd = Number(env[LAUNCHER_PIPE_VARIABLE]);
  if (!Number.isInteger(fd) || fd < 3) return;
  // Not inherited by what this process starts (the embedded cluster, a relaunch of its own).
  delete env[LAUNCHER_PIPE_VARIABLE];
  launcherPid = process.ppid;
  const pipe = new Socket({ fd, readable: true, writable: false });
  pipe.on('data', () => undefined);
  pipe.on('error', () => undefined);
  pipe.once('close', () => process.kill(process.pid, 'SIGKILL'));
  // The pipe alone must not keep the command running.
  pipe.unref();
}
