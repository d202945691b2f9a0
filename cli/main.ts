/**
 * @module
 * The `totesys-stream` command line: builds the commander program from `cli/commands/*.ts` and runs it.
 * Errors print as one line on stderr (no stack) and exit non-zero.
 */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { describeErrorChain } from '../core/error-chain.ts';
import { dieWithLauncher } from '../local/heap-bound.ts';
import packageJson from '../package.json' with { type: 'json' };
import { RanUnderHeapBound, runUnderHeapBoundBeforeAction } from './bounded-commands.ts';
import { dropOutputWhenReaderGone } from './closed-output.ts';
import * as collectCommand from './commands/collect.ts';
import * as compactCommand from './commands/compact.ts';
import * as errorsCommand from './commands/errors.ts';
import * as forecastCommand from './commands/forecast.ts';
import * as importCommand from './commands/import.ts';
import * as queryCommand from './commands/query.ts';
import * as reconcileCommand from './commands/reconcile.ts';
import * as resnapshotCommand from './commands/resnapshot.ts';
import * as seedCommand from './commands/seed.ts';
import * as serveCommand from './commands/serve.ts';
import * as simulateCommand from './commands/simulate.ts';
import * as statusCommand from './commands/status.ts';
import * as syncCommand from './commands/sync.ts';
import * as upCommand from './commands/up.ts';

/** Every command module registers itself on the program. */
const COMMANDS: readonly { register(program: Command): void }[] = [
  upCommand,
  seedCommand,
  simulateCommand,
  importCommand,
  statusCommand,
  syncCommand,
  queryCommand,
  reconcileCommand,
  resnapshotCommand,
  compactCommand,
  collectCommand,
  forecastCommand,
  serveCommand,
  errorsCommand,
];

/** Builds the program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('totesys-stream')
    .version(packageJson.version)
    .description(
      'Change-data-capture from the totesys PostgreSQL database into a star-schema warehouse.\n' +
        'Without --source-url/--warehouse-url everything runs on an embedded PostgreSQL under --data-dir.',
    )
    .option(
      '--data-dir <dir>',
      'where local state lives (embedded PostgreSQL in <dir>/pg)',
      '.totesys-stream',
    )
    .addOption(
      new Option('--source-url <url>', 'the totesys source database (needs wal_level=logical)').env(
        'TOTESYS_SOURCE_URL',
      ),
    )
    .addOption(new Option('--warehouse-url <url>', 'the warehouse database').env('TOTESYS_WAREHOUSE_URL'))
    .option(
      '--pg-port <port>',
      'port for the embedded PostgreSQL when this process starts it (default: a free one)',
      port,
    )
    .option('--json', 'print machine-readable JSON where the command supports it')
    .option('--progress', 'show progress on stderr even when it is not a terminal')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ totesys-stream up                      # everything, locally, until Ctrl-C\n' +
        '  $ totesys-stream status                  # from another terminal while up runs\n' +
        '  $ totesys-stream serve --warehouse-url postgres://reader@wh/warehouse   # dashboard and API alone\n' +
        '  $ totesys-stream seed --scale 20\n' +
        '  $ totesys-stream simulate --burst --duration 60\n' +
        '  $ totesys-stream import --dump totesys.sql\n' +
        '  $ TOTESYS_SOURCE_URL=postgres://user@host/totesys totesys-stream status\n',
    );
  for (const command of COMMANDS) command.register(program);
  return program;
}

function port(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 65_535) {
    throw new InvalidArgumentError('a TCP port is a whole number from 1 to 65535.');
  }
  return number;
}

/** Runs the CLI with `argv` (as in process.argv) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  dropOutputWhenReaderGone();
  dieWithLauncher();
  try {
    await buildProgram()
      .hook('preAction', (_program, command) => runUnderHeapBoundBeforeAction(command, argv))
      .parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof RanUnderHeapBound) return error.exitCode;
    process.stderr.write(`totesys-stream: ${describeErrorChain(error)}\n`);
    return 1;
  }
}

// Run when executed directly (`tsx cli/main.ts ...`); bin/totesys-stream.js imports `main` and calls it.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv);
}
