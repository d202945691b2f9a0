/**
 * @module
 * The `fred` collector: observations of configured FRED series (`/fred/series/observations`). `value` is a
 * string and `"."` means the value is missing: a NULL in the lake, never 0. The key travels in the query
 * string (`api_key`), which no message or log ever shows.
 */
import {
  type Collector,
  decimalText,
  fetchedAtText,
  isDayText,
  MalformedAnswerError,
  type ObservationRow,
} from './collector.ts';
import { describeEndpoint, getMarketJson } from './market-api-client.ts';

/** The public FRED API. */
export const FRED_URL = 'https://api.stlouisfed.org';

/** Days a fetch without `--from` covers: a revision of the last weeks is picked up. */
const RECENT_DAYS = 30;

/** Settings of the `fred` collector. */
export interface FredCollectorOptions {
  readonly apiUrl?: string;
  readonly apiKey: string;
  /** @default ['DGS10', 'DFF']: the 10-year Treasury yield and the effective federal funds rate */
  readonly series?: readonly string[];
  /** @default 'fred' */
  readonly source?: string;
}

/** The `fred` collector. */
export function fredCollector(options: FredCollectorOptions): Collector {
  const series = options.series ?? ['DGS10', 'DFF'];
  const source = options.source ?? 'fred';
  const apiUrl = (options.apiUrl ?? FRED_URL).replace(/\/+$/, '');
  return {
    name: 'fred',
    table: 'economic_observation',
    async collect(context, request) {
      const from =
        request.from ??
        new Date(Date.parse(`${request.today}T00:00:00Z`) - RECENT_DAYS * 86_400_000)
          .toISOString()
          .slice(0, 10);
      const fetchedAt = fetchedAtText(request.fetchedAt);
      const rows: ObservationRow[] = [];
      for (const id of series) {
        const url = new URL(`${apiUrl}/fred/series/observations`);
        url.searchParams.set('series_id', id);
        url.searchParams.set('observation_start', from);
        url.searchParams.set('file_type', 'json');
        url.searchParams.set('api_key', options.apiKey);
        const body = await getMarketJson(context, url);
        const observations = (body as { observations?: unknown }).observations;
        if (!Array.isArray(observations)) {
          throw new MalformedAnswerError(
            `${describeEndpoint(url)} answered no observations for ${id}; nothing was written.`,
          );
        }
        for (const observation of observations as { date?: unknown; value?: unknown }[]) {
          const value = observation.value === '.' ? null : decimalText(observation.value);
          if (!isDayText(observation.date) || value === undefined) {
            throw new MalformedAnswerError(
              `${describeEndpoint(url)} answered an observation of ${id} without a day or a number; nothing was written.`,
            );
          }
          rows.push({
            observation_date: observation.date,
            series_id: id,
            value,
            source,
            fetched_at: fetchedAt,
          });
        }
      }
      return rows;
    },
  };
}
