/**
 * @module
 * Which commands run under the heap bound (core/memory-bounds.ts `heapBytes`, `TOTESYS_HEAP_MIB`), and the
 * CLI's hook that starts them again bounded (local/heap-bound.ts).
 */
import type { Command } from 'commander';
import { readMemoryBounds } from '../core/memory-bounds.ts';
import { relaunchUnderHeapBound, runsUnderHeapBound } from '../local/heap-bound.ts';

/** Commands that read a little and end at once: they run unbounded, in the process that started them. */
const SHORT_COMMANDS: ReadonlySet<string> = new Set(['status', 'errors']);

/** The command finished in a child under the heap bound; `exitCode` is its exit code. */
export class RanUnderHeapBound extends Error {
  override readonly name = 'RanUnderHeapBound';
  constructor(readonly exitCode: number) {
    super(`the command ran in a child process under the heap bound and exited with ${exitCode}`);
  }
}

/**
 * The CLI's preAction hook: a long-running command (every one but {@link SHORT_COMMANDS}) in a process not
 * yet bounded runs again in a bounded child; this throws {@link RanUnderHeapBound} with its exit code once it
 * ended, so this process skips the action. A bad `TOTESYS_*` memory setting throws its MemoryBoundsError.
 */
export async function runUnderHeapBoundBeforeAction(
  command: Command,
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  let topLevel = command;
  while (topLevel.parent?.parent) topLevel = topLevel.parent;
  if (SHORT_COMMANDS.has(topLevel.name())) return;
  const { heapBytes } = readMemoryBounds(env);
  if (runsUnderHeapBound(heapBytes)) return;
  throw new RanUnderHeapBound(await relaunchUnderHeapBound(heapBytes, argv));
}
