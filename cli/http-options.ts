/**
 * @module
 * The options of the HTTP app that `up` and `serve` share (--http-host, --http-port). Commander only, so that
 * `--help` stays fast; `cli/dashboard-startup.ts` starts the app from the actions.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';

/** The HTTP options as commander parses them. */
export interface HttpOptions {
  readonly httpHost: string;
  readonly httpPort: number;
}

/** Adds --http-host and --http-port to `command`. */
export function addHttpOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--http-host <host>',
        'address the dashboard and API listen on (0.0.0.0: every interface)',
      ).default('127.0.0.1'),
    )
    .addOption(
      new Option('--http-port <port>', 'port of the dashboard and API (0: a free one)')
        .default(0)
        .argParser(httpPort),
    );
}

function httpPort(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65_535) {
    throw new InvalidArgumentError('--http-port is a whole number from 0 (a free port) to 65535.');
  }
  return number;
}
