/**
 * @module
 * What `up` runs: a list of services, started in order and stopped in reverse order on SIGINT/SIGTERM.
 */

/** A long-running part of the local pipeline. */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  /** Stops cleanly (flush, ack, close); called once, in reverse start order. */
  stop(): Promise<void>;
  /** A short fragment for the periodic one-line status, e.g. `simulator 1200 changes`. */
  status?(): Promise<string> | string;
}

/** Options of {@link runServices}. */
export interface RunServicesOptions {
  /** Resolves or aborts to stop; by default SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  readonly statusIntervalMs: number;
  /** Extra status fragments before the services' own (e.g. the source LSN). */
  readonly baseStatus?: () => Promise<string>;
  readonly print: (line: string) => void;
}

/** Thrown when a service fails; names it. */
export class ServiceFailedError extends Error {
  override readonly name = 'ServiceFailedError';
}

/**
 * Starts the services, prints a status line every interval, and stops them all when `signal` aborts
 * (or when one fails to start: those already started are stopped again).
 */
export async function runServices(services: readonly Service[], options: RunServicesOptions): Promise<void> {
  const started: Service[] = [];
  try {
    for (const service of services) {
      if (options.signal.aborted) break;
      try {
        await service.start();
      } catch (cause) {
        throw new ServiceFailedError(`The ${service.name} did not start: ${(cause as Error).message}`, {
          cause,
        });
      }
      started.push(service);
    }
    const timer = setInterval(() => {
      void statusLine(started, options).then(options.print, () => undefined);
    }, options.statusIntervalMs);
    try {
      if (!options.signal.aborted) {
        await new Promise<void>((resolve) =>
          options.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      }
    } finally {
      clearInterval(timer);
    }
  } finally {
    for (const service of started.reverse()) await service.stop();
  }
}

/**
 * One status line. A fragment that fails (its database is restarting) says so in its place: the line itself
 * is printed at every interval whatever one service is going through.
 */
export async function statusLine(
  services: readonly Pick<Service, 'name' | 'status'>[],
  options: Pick<RunServicesOptions, 'baseStatus'>,
  now: Date = new Date(),
): Promise<string> {
  const parts = [now.toISOString().slice(11, 19)];
  const fragment = async (name: string, read: () => Promise<string> | string) => {
    try {
      parts.push(await read());
    } catch {
      parts.push(`${name} unavailable`);
    }
  };
  if (options.baseStatus) await fragment('status', options.baseStatus);
  for (const service of services) {
    if (service.status) await fragment(service.name, () => service.status!());
  }
  return parts.join(' | ');
}

/**
 * An AbortSignal that aborts on the first SIGINT or SIGTERM, so services can flush, acknowledge and stop.
 *
 * The handlers stay installed: one Ctrl-C often arrives twice (the terminal signals the whole process group,
 * and a wrapper such as npm or tsx relays it to its child), and a second delivery without a handler would kill
 * the process before it stopped the cluster. A repeat within two seconds is that echo and is ignored; a later one
 * is the user insisting, and exits at once.
 */
export function stopSignal(): AbortSignal {
  const controller = new AbortController();
  let firstAt = 0;
  const stop = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      firstAt = Date.now();
      console.log('Stopping: flushing and acknowledging what is in flight (Ctrl-C again to force).');
      controller.abort();
    } else if (Date.now() - firstAt > 2000) {
      console.error(
        `Forced exit on a second ${signal}; nothing acknowledged is lost, the rest is sent again.`,
      );
      process.exit(130);
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return controller.signal;
}
