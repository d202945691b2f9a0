/**
 * @module
 * The options every command shares (--data-dir, --source-url, --warehouse-url, --pg-port, --json,
 * --progress) and the parsers of option values. Loaded by every start of the CLI, so it imports nothing but
 * commander (`cli/command-runtime.ts` opens the databases, once an action runs).
 */
import { type Command, InvalidArgumentError } from 'commander';

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
