/**
 * @module
 * The options of the HTTP app that `up` and `serve` share (--http-host, --http-port), and how they start it.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type LocalHttp, type LocalHttpOptions, startLocalHttp } from '../local/http-service.ts';
import { terminalLog } from '../local/terminal-log.ts';
import packageJson from '../package.json' with { type: 'json' };

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

/** Starts the app and prints `dashboard: URL` (the line scripts and people look for first). */
export async function startDashboard(
  options: HttpOptions,
  where: Pick<LocalHttpOptions, 'warehouseUrl' | 'sourceUrl' | 'dataDir'>,
): Promise<LocalHttp> {
  const http = await startLocalHttp({
    ...where,
    host: options.httpHost,
    port: options.httpPort,
    version: packageJson.version,
    log: terminalLog(),
  });
  console.log(`dashboard: ${http.url}`);
  return http;
}
