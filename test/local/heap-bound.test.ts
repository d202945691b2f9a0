import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { heapBoundFlag, runsUnderHeapBound } from '../../local/heap-bound.ts';
import { waitFor } from '../support/wait-for.ts';

const MIB = 1024 * 1024;
const FIXTURE = fileURLToPath(new URL('./fixtures/heap-bounded-command.ts', import.meta.url));
// V8's heap_size_limit is the old generation's bound plus the young generation's (tens of MiB).
const YOUNG_GENERATION_ALLOWANCE_MIB = 96;

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A process with its output collected and its end as a promise; SIGKILLed at the deadline. */
function started(child: ChildProcess, deadlineMs = 60_000) {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  const finished = new Promise<Finished>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  const lines = () => stdout.split('\n').filter((line) => line.startsWith('{'));
  return {
    child,
    finished,
    /** The bounded child's report, once it printed it. */
    report: async () => {
      const line = await waitFor('the bounded child to report', () =>
        lines().find((text) => text.includes('"child"')),
      );
      return JSON.parse(line ?? '') as { child: number; heapSizeLimitMib: number };
    },
  };
}

function startFixture(mode: string, argument = '', heapMib = 160) {
  return started(
    spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode, argument], {
      env: { ...process.env, FIXTURE_HEAP_MIB: String(heapMib) },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('running a command under the heap bound (local/heap-bound.ts)', () => {
  it('knows a process started with the flag, on its command line or in NODE_OPTIONS, and no other', () => {
    expect(heapBoundFlag(367 * MIB)).toBe('--max-old-space-size=367');
    expect(runsUnderHeapBound(367 * MIB, ['--max-old-space-size=367'], undefined)).toBe(true);
    expect(runsUnderHeapBound(367 * MIB, [], '--max_old_space_size=367')).toBe(true);
    // The command line comes after NODE_OPTIONS, so its flag is the one V8 keeps.
    expect(runsUnderHeapBound(367 * MIB, ['--max-old-space-size=512'], '--max-old-space-size=367')).toBe(
      false,
    );
    expect(runsUnderHeapBound(367 * MIB, ['--import', 'tsx'], '')).toBe(false);
  });

  it('runs the command in a child whose V8 heap limit is the bound, and exits with its exit code', async () => {
    const run = startFixture('exit', '7', 160);
    const report = await run.report();
    const { code, signal, stdout } = await run.finished;
    const launcher = (JSON.parse(stdout.split('\n')[0] ?? '') as { launcher: number }).launcher;
    expect(report.child).not.toBe(launcher);
    expect(report.heapSizeLimitMib).toBeGreaterThanOrEqual(160);
    expect(report.heapSizeLimitMib).toBeLessThan(160 + YOUNG_GENERATION_ALLOWANCE_MIB);
    expect({ code, signal }).toEqual({ code: 7, signal: null });
  });

  it('relays SIGTERM sent to the launcher alone, and exits as the child did after it', async () => {
    const run = startFixture('stop-on-sigterm');
    await run.report();
    run.child.kill('SIGTERM');
    const { code, signal, stdout } = await run.finished;
    expect(stdout).toContain('stopping on SIGTERM');
    expect({ code, signal }).toEqual({ code: 3, signal: null });
  });

  it('dies of the signal that killed the child', async () => {
    const { code, signal } = await startFixture('die-of-sigterm').finished;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('takes the child with it when the launcher is killed with SIGKILL', async () => {
    const run = startFixture('wait');
    const { child } = await run.report();
    expect(isRunning(child)).toBe(true);
    run.child.kill('SIGKILL');
    expect((await run.finished).signal).toBe('SIGKILL');
    await waitFor('the bounded child to end with its launcher', () => !isRunning(child));
  });
});
