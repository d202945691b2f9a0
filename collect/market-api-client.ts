/**
 * @module
 * The HTTP side of every collector (README, "Market data"): one GET of a market-data API, its JSON body, and
 * what to do when it fails. A network error, HTTP 429, a 5xx and a throttled answer in a 200 (Alpha Vantage's
 * `Note` / `Information`) are transient: retried with exponential backoff and full jitter, on the Clock port, up
 * to `maxAttempts`, then a {@link MarketApiError}. Any other 4xx, and an answer that says the request itself is
 * wrong, are deterministic and fail at once. A body that is not JSON is transient (a proxy's error page).
 *
 * Keys never reach a message or a log: errors name the API's origin and path only, never the query string (where
 * Alpha Vantage, FRED and CoinCap take their key) or headers.
 */

import type { FailureKind } from '../core/failure-kind.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Log } from '../core/ports/log.ts';

/** The part of `fetch` the collectors use: the global `fetch`, or an in-process API (the synthetic market). */
export type FetchFunction = (
  url: string,
  init: { readonly headers: Readonly<Record<string, string>>; readonly signal?: AbortSignal },
) => Promise<Response>;

/** How often and how patiently a request is tried. */
export interface RetryPolicy {
  /** Attempts, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Five attempts over about a minute: Alpha Vantage's free tier throttles per minute. */
export const DEFAULT_API_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 2_000, maxDelayMs: 30_000 };

/** What a collector's client needs. */
export interface MarketApiContext {
  readonly fetch: FetchFunction;
  readonly clock: Clock;
  readonly retry?: RetryPolicy;
  /** Jitter in [0, 1); default `Math.random`. */
  readonly random?: () => number;
  readonly log?: Log;
  readonly signal?: AbortSignal;
}

/** A request could not be answered with data. The message names the API's origin and path, never a key. */
export class MarketApiError extends Error {
  override readonly name = 'MarketApiError';
  readonly failureKind: FailureKind;

  constructor(message: string, failureKind: FailureKind, options?: { cause?: unknown }) {
    super(message, options);
    this.failureKind = failureKind;
  }
}

/**
 * What an API's answer means beyond its status: `data` to use it, `throttled` to retry it later, `refused` for a
 * request that will fail again (a wrong symbol, a bad key). Reasons are the API's own words, never a value.
 */
export type AnswerVerdict =
  | { readonly kind: 'data' }
  | { readonly kind: 'throttled'; readonly reason: string }
  | { readonly kind: 'refused'; readonly reason: string };

const DATA: AnswerVerdict = { kind: 'data' };

/** Where a request goes, for messages: origin and path, no query string. */
export function describeEndpoint(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * GETs `url` and returns its JSON body once `judge` calls it data, retrying transient failures (see the module).
 *
 * @throws {MarketApiError} deterministic for a refused request, transient once every attempt failed.
 */
export async function getMarketJson(
  context: MarketApiContext,
  url: URL,
  options: {
    readonly headers?: Readonly<Record<string, string>>;
    readonly judge?: (body: unknown) => AnswerVerdict;
  } = {},
): Promise<unknown> {
  const retry = context.retry ?? DEFAULT_API_RETRY;
  const random = context.random ?? Math.random;
  const endpoint = describeEndpoint(url);
  let lastReason = '';
  let lastError: unknown;
  for (let attempt = 1; attempt <= retry.maxAttempts; attempt++) {
    if (attempt > 1) {
      const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 2));
      const delayMs = Math.round(random() * ceiling);
      context.log?.warn('market API request failed; retrying', {
        stage: 'collector',
        reason: lastReason,
        delayMs,
      });
      await context.clock.sleep(delayMs, context.signal);
      if (context.signal?.aborted) break;
    }
    const outcome = await attemptOnce(context, url, options);
    if (outcome.kind === 'data') return outcome.body;
    if (outcome.kind === 'refused') {
      throw new MarketApiError(`${endpoint} refused the request: ${outcome.reason}`, 'deterministic', {
        cause: outcome.error,
      });
    }
    lastReason = outcome.reason;
    lastError = outcome.error;
  }
  throw new MarketApiError(
    `${endpoint} gave no data after ${retry.maxAttempts} attempts (last: ${lastReason}); nothing was written, ` +
      'collect again later.',
    'transient',
    { cause: lastError },
  );
}

type Attempt =
  | { readonly kind: 'data'; readonly body: unknown }
  | { readonly kind: 'retry' | 'refused'; readonly reason: string; readonly error?: unknown };

async function attemptOnce(
  context: MarketApiContext,
  url: URL,
  options: {
    readonly headers?: Readonly<Record<string, string>>;
    readonly judge?: (body: unknown) => AnswerVerdict;
  },
): Promise<Attempt> {
  let response: Response;
  try {
    response = await context.fetch(url.toString(), {
      headers: { accept: 'application/json', ...options.headers },
      ...(context.signal ? { signal: context.signal } : {}),
    });
  } catch (error) {
    // The fetch error's message can hold the URL, and so a key: keep it as the cause only.
    return { kind: 'retry', reason: 'the connection failed', error: redacted(error) };
  }
  const text = await response.text().catch(() => '');
  if (response.status === 429 || response.status >= 500) {
    return { kind: 'retry', reason: `HTTP ${response.status}` };
  }
  if (response.status >= 400) {
    return { kind: 'refused', reason: `HTTP ${response.status}${apiMessage(text)}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: 'retry', reason: `HTTP ${response.status} with a body that is not JSON` };
  }
  const verdict = options.judge?.(body) ?? DATA;
  if (verdict.kind === 'data') return { kind: 'data', body };
  return { kind: verdict.kind === 'throttled' ? 'retry' : 'refused', reason: verdict.reason };
}

/** An API's own error text (`message` / `error_message` / `error`), short, for a refused request. */
function apiMessage(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const message = body['message'] ?? body['error_message'] ?? body['error'];
    return typeof message === 'string' ? `: ${message.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}

/** A network error without its message (it may quote the URL): its name and code only. */
function redacted(error: unknown): Error {
  const name = error instanceof Error ? error.name : typeof error;
  const code = (error as { cause?: { code?: unknown } })?.cause?.code;
  return new Error(`${name}${typeof code === 'string' ? ` (${code})` : ''}`);
}
