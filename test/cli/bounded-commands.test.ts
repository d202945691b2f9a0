import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

// V8's heap_size_limit is the old generation's bound plus the young generation's (tens of MiB).
const YOUNG_GENERATION_ALLOWANCE_MIB = 96;

describe('the totesys-stream command under TOTESYS_HEAP_MIB', () => {
  let root = '';
  let probe = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'totesys-heap-bound-'));
    // Loaded into every Node process of the command (the flags are passed on): each prints its heap limit.
    probe = join(root, 'heap-probe.mjs');
    await writeFile(
      probe,
      "import { getHeapStatistics } from 'node:v8';\n" +
        "process.on('exit', () => console.error('heap probe:', process.pid, getHeapStatistics().heap_size_limit / 1048576));\n",
    );
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  // NODE_OPTIONS reaches the launcher and the child it starts alike.
  const run = (args: readonly string[], heapMib: string) =>
    runCli(args, { TOTESYS_HEAP_MIB: heapMib, NODE_OPTIONS: `--import ${probe}` });
  const heapLimits = (stderr: string) =>
    [...stderr.matchAll(/^heap probe: \d+ (\d+(?:\.\d+)?)$/gm)].map((match) => Number(match[1]));

  it('reaches the process that runs a long-running command, which exits as it would unbounded', async () => {
    // `query` over a data dir that does not exist: it runs bounded, fails with its own message, exits 1.
    const { code, stderr } = await run(['query', 'SELECT 1', '--data-dir', join(root, 'missing')], '200');
    expect(code).toBe(1);
    expect(stderr.match(/does not exist/g)).toHaveLength(1);
    const bounded = heapLimits(stderr).filter((mib) => mib < 200 + YOUNG_GENERATION_ALLOWANCE_MIB);
    expect(bounded).toHaveLength(1);
    expect(bounded[0]).toBeGreaterThanOrEqual(200);
  });

  it('leaves a short command in the process that started it', async () => {
    const { stderr } = await run(['status', '--data-dir', join(root, 'missing')], '200');
    // One process: no child was started for it.
    expect(heapLimits(stderr)).toHaveLength(1);
  });

  it('refuses a heap bound that is not a positive whole number of MiB, naming the variable', async () => {
    const { code, stderr } = await run(['query', 'SELECT 1', '--data-dir', join(root, 'missing')], '1.5');
    expect(code).toBe(1);
    expect(stderr).toContain('TOTESYS_HEAP_MIB must be a positive whole number of MiB (got "1.5")');
  });
});
