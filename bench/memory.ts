/**
 * @module
 * `npm run bench -- memory [--changes 5000000] [--scale 0.05] [--sample-ms 100] [--idle-seconds 10]`: one
 * transaction of `--changes` changes (new sales and purchase orders, half each, one INSERT ... SELECT each)
 * through the whole local pipeline in this process (reader, local Firehose with the transformation, Parquet
 * lake, DuckDB loader, warehouse), on an embedded cluster of its own.
 *
 * It runs under the heap bound like `up` (core/memory-bounds.ts `heapBytes`, `TOTESYS_HEAP_MIB`): it starts
 * itself again in a child Node with `--max-old-space-size` (local/heap-bound.ts) and the child runs the pipeline
 * (bench/memory-phases.ts, imported only there, so the launcher holds no more than its arguments, as the CLI's
 * launcher does).
 *
 * Peak RSS per phase is the kernel's high-water mark (`VmHWM` in /proc/self/status), reset to the current RSS
 * as each phase begins (writing 5 to /proc/self/clear_refs), so each phase's figure is the highest RSS the
 * kernel saw during it, however briefly; where the mark cannot be reset (not Linux) the figure is the mark
 * since start (`process.resourceUsage().maxRSS`) and the output says so. Every `--sample-ms` it also samples
 * V8's committed and used heap, buffers (`process.memoryUsage()`) and DuckDB's buffer manager
 * (`duckdb_memory()`, what its `memory_limit` bounds), and prints their peaks: what the RSS is made of. The
 * phases: the reader shipping the transaction (commit until the slot confirms it, the local Firehose
 * transforming and converting meanwhile), the Firehose delivering the rest, the loader reading the lake and
 * loading the warehouse, and idle after it (memory must come back). Stages that share the process are told
 * apart by phase. The reference is the process's RSS just before the commit (the pipeline idle), so each
 * figure is also printed as a ratio to it. It ends with a count check: the warehouse holds one fact row per
 * change. PostgreSQL runs in its own processes and is not counted.
 */
import { parseArgs } from 'node:util';
import { readMemoryBounds } from '../core/memory-bounds.ts';
import { dieWithLauncher, relaunchUnderHeapBound, runsUnderHeapBound } from '../local/heap-bound.ts';

/** Runs the benchmark and prints its figures. */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      changes: { type: 'string' },
      scale: { type: 'string' },
      'sample-ms': { type: 'string' },
      'idle-seconds': { type: 'string' },
    },
  });
  const changes = Number(values.changes ?? '5000000');
  const scale = Number(values.scale ?? '0.05');
  const sampleMs = Number(values['sample-ms'] ?? '100');
  const idleSeconds = Number(values['idle-seconds'] ?? '10');
  const bounds = readMemoryBounds(process.env);
  if (!runsUnderHeapBound(bounds.heapBytes)) {
    process.exitCode = await relaunchUnderHeapBound(bounds.heapBytes);
    return;
  }
  dieWithLauncher();
  const { measurePhases } = await import('./memory-phases.ts');
  await measurePhases({ changes, scale, sampleMs, idleSeconds, bounds });
}
