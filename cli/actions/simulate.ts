/**
 * @module
 * What `simulate` does (its options and help are in `cli/commands/simulate.ts`).
 */
import type { Command } from 'commander';
import { createClient } from '../../postgres/connections.ts';
import { firstNonEmptyTable } from '../../source/empty-source.ts';
import { formatSummary, Simulator } from '../../source/simulator/simulator.ts';
import { withRuntime } from '../command-runtime.ts';
import type { SimulateOptions } from '../commands/simulate.ts';
import { globalOptions } from '../global-options.ts';
import { stopSignal } from '../services.ts';

/** The source has no data to simulate activity on. */
export class SourceEmptyError extends Error {
  override readonly name = 'SourceEmptyError';
}

/** Runs the simulator until Ctrl-C, --duration or a failure, then prints its summary. */
export async function runSimulateCommand(options: SimulateOptions, command: Command): Promise<void> {
  const global = globalOptions(command);
  await withRuntime(
    command,
    async (runtime) => {
      const probe = createClient({ connectionString: runtime.sourceUrl });
      await probe.connect();
      try {
        const staff = await probe.query("SELECT to_regclass('public.staff') IS NOT NULL AS migrated");
        const migrated = staff.rows[0]?.migrated === true;
        if (!migrated || (await firstNonEmptyTable(probe)) === undefined) {
          throw new SourceEmptyError(
            'The source has no data to simulate on; run `totesys-stream seed` (or import) first.',
          );
        }
      } finally {
        await probe.end();
      }
      const signal = stopSignal();
      const failure = new AbortController();
      let failed: Error | undefined;
      const simulator = new Simulator({
        sourceUrl: runtime.sourceUrl,
        rate: options.rate,
        burst: options.burst === true,
        batchSize: options.batchSize,
        seed: options.seed,
        onError: (error) => {
          failed = error;
          failure.abort();
        },
      });
      await simulator.start();
      const stops = [signal, failure.signal];
      if (options.duration !== undefined) stops.push(AbortSignal.timeout(options.duration * 1000));
      const any = AbortSignal.any(stops);
      if (!any.aborted)
        await new Promise((resolve) => any.addEventListener('abort', resolve, { once: true }));
      const summary = await simulator.stop();
      console.log(global.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
      if (failed) throw failed;
    },
    { warehouse: false },
  );
}
