/**
 * @module
 * The options every command shares (--data-dir, --source-url, --warehouse-url, --pg-port, --json,
 * --progress) and how a command turns them into a runtime.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { openRuntime, type Runtime, resolveRuntimeSettings } from '../local/runtime-config.ts';

/** The global options as commander parses them. */
export interface GlobalOptions {
  readonly dataDir?: string;
  readonly sourceUrl?: string;
  readonly warehouseUrl?: string;
  readonly pgPort?: number;
  readonly json?: boolean;
  readonly progress?: boolean;
}

/** The global options of the program that `command` belongs to. */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** Opens the databases named by the global options (see `openRuntime`). */
export async function runtimeFor(command: Command, needs = { warehouse: true }): Promise<Runtime> {
  const options = globalOptions(command);
  return openRuntime(
    resolveRuntimeSettings({
      dataDir: options.dataDir,
      sourceUrl: options.sourceUrl,
      warehouseUrl: options.warehouseUrl,
      pgPort: options.pgPort,
    }),
    needs,
  );
}

/** Runs `work` with an open runtime, always closing it (stopping a cluster this process started). */
export async function withRuntime<T>(
  command: Command,
  work: (runtime: Runtime) => Promise<T>,
  needs = { warehouse: true },
): Promise<T> {
  const runtime = await runtimeFor(command, needs);
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

/** Parses a positive number option, with a message that names the option. */
export function positiveNumber(name: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isFinite(number) || number <= 0) {
      throw new InvalidArgumentError(`${name} must be a number above 0.`);
    }
    return number;
  };
}

/** Parses a non-negative integer option. */
export function wholeNumber(name: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0) {
      throw new InvalidArgumentError(`${name} must be a whole number.`);
    }
    return number;
  };
}

/** An option value is out of range. */
export class InvalidOptionError extends Error {
  override readonly name = 'InvalidOptionError';
}
