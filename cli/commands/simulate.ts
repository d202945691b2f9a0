/**
 * @module
 * `simulate`: applies live business activity to the source until Ctrl-C (or --duration), then prints what it did.
 */
import type { Command } from 'commander';
import pg from 'pg';
import { firstNonEmptyTable } from '../../source/empty-source.ts';
import { formatSummary, Simulator } from '../../source/simulator/simulator.ts';
import { globalOptions, positiveNumber, wholeNumber, withRuntime } from '../global-options.ts';
import { stopSignal } from '../services.ts';

/** The source has no data to simulate activity on. */
export class SourceEmptyError extends Error {
  override readonly name = 'SourceEmptyError';
}

interface SimulateOptions {
  rate: number;
  burst?: boolean;
  batchSize: number;
  duration?: number;
  seed: number;
}

/** Registers `simulate`. */
export function register(program: Command): void {
  program
    .command('simulate')
    .description(
      'Apply realistic activity to the source: new orders, payments paid, amendments, edits, designs.',
    )
    .option('--rate <r>', 'changes per second (each in its own transaction)', positiveNumber('--rate'), 20)
    .option('--burst', 'as fast as the source can take, many changes per transaction (benchmarks)')
    .option('--batch-size <n>', 'changes per transaction with --burst', positiveNumber('--batch-size'), 200)
    .option(
      '--duration <s>',
      'stop after this many seconds (default: until Ctrl-C)',
      positiveNumber('--duration'),
    )
    .option('--seed <s>', 'the same seed gives the same sequence of changes', wholeNumber('--seed'), 1)
    .addHelpText(
      'after',
      '\nExamples:\n  $ totesys-stream simulate --rate 50\n  $ totesys-stream simulate --burst --duration 30\n',
    )
    .action(async (options: SimulateOptions, command: Command) => {
      const global = globalOptions(command);
      await withRuntime(
        command,
        async (runtime) => {
          const probe = new pg.Client({ connectionString: runtime.sourceUrl });
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
    });
}
