/**
 * @module
 * The model's inputs, read from the lake through the QueryEngine port (README, "The gold-price model"): the
 * gold series' daily closes, an equity index, the GBP/USD fixing and two interest rates, each the `_latest`
 * view's newest fetch per day. Each series comes from one publisher: a real one when the lake has it, the
 * synthetic market otherwise (as the GBP views prefer real fixings, warehouse/market-ddl.ts).
 */
import type { QueryEngine, QueryParameter } from '../core/ports/query-engine.ts';
import { SYNTHETIC_SOURCE } from '../core/schema/market-lake-tables.ts';

/** One daily series, oldest day first; `values` are the exact decimals as numbers for the model. */
export interface DailySeries {
  readonly name: string;
  /** Who published it (`synthetic`, `alphavantage`, ...). */
  readonly source: string;
  readonly dates: readonly string[];
  readonly values: readonly number[];
}

/** The gold series with its exact closes (the naive forecast and the stored last close are these). */
export interface PriceSeries extends DailySeries {
  readonly currency: string;
  readonly closes: readonly string[];
}

/** Everything the features are computed from. */
export interface MarketInputs {
  readonly gold: PriceSeries;
  readonly equity: DailySeries;
  readonly gbpUsd: DailySeries;
  readonly treasury10y: DailySeries;
  readonly fedFunds: DailySeries;
}

/** Which series feed the model: symbols of `market_price`, series of `economic_observation`. */
export interface InputSeriesNames {
  readonly gold: string;
  readonly equity: string;
  readonly treasury10y: string;
  readonly fedFunds: string;
}

/** The lake holds too little of a series (or none): names it and says what to run. */
export class MissingMarketDataError extends Error {
  override readonly name = 'MissingMarketDataError';
}

/** Reads every input series; rejects with {@link MissingMarketDataError} when one is absent. */
export async function readMarketInputs(engine: QueryEngine, names: InputSeriesNames): Promise<MarketInputs> {
  const price = (symbol: string) =>
    readSeries(
      engine,
      `market_price ${symbol}`,
      'SELECT price_date, close, source, currency FROM market_price_latest WHERE symbol = ? ORDER BY price_date',
      [symbol],
      'collect equities',
    );
  const economic = (series: string) =>
    readSeries(
      engine,
      `economic_observation ${series}`,
      'SELECT observation_date, value, source FROM economic_observation_latest WHERE series_id = ? AND value IS NOT NULL ORDER BY observation_date',
      [series],
      'collect fred',
    );
  const gold = await price(names.gold);
  const equity = await price(names.equity);
  const gbpUsd = await readSeries(
    engine,
    'fx_rate GBP/USD',
    "SELECT rate_date, rate, source FROM fx_rate_latest WHERE base_currency = 'GBP' AND quote_currency = 'USD' ORDER BY rate_date",
    [],
    'collect fx',
  );
  const treasury10y = await economic(names.treasury10y);
  const fedFunds = await economic(names.fedFunds);
  return {
    gold: { ...gold.series, currency: gold.currency ?? 'USD', closes: gold.exact },
    equity: equity.series,
    gbpUsd: gbpUsd.series,
    treasury10y: treasury10y.series,
    fedFunds: fedFunds.series,
  };
}

/** Rows are (day, value, source[, currency]); one source is kept, a real one before the synthetic market. */
async function readSeries(
  engine: QueryEngine,
  name: string,
  sql: string,
  parameters: readonly QueryParameter[],
  remedy: string,
): Promise<{ series: DailySeries; exact: string[]; currency: string | undefined }> {
  let rows: readonly (readonly (string | null)[])[];
  try {
    rows = (await engine.query(sql, parameters)).rows;
  } catch (cause) {
    throw new MissingMarketDataError(
      `Could not read ${name} from the lake: ${(cause as Error).message}. Run \`totesys-stream ${remedy} --once\` (or \`up\`) to collect market data first.`,
      { cause },
    );
  }
  const sources = [...new Set(rows.map((row) => row[2] ?? ''))];
  const source = sources.filter((s) => s !== SYNTHETIC_SOURCE).sort()[0] ?? sources[0];
  if (source === undefined) {
    throw new MissingMarketDataError(
      `The lake has no ${name} observations. Run \`totesys-stream ${remedy} --once\` (or \`up\`) to collect them first.`,
    );
  }
  const dates: string[] = [];
  const values: number[] = [];
  const exact: string[] = [];
  let currency: string | undefined;
  for (const [day, value, rowSource, rowCurrency] of rows) {
    if (rowSource !== source || !day || !value) continue;
    dates.push(day);
    exact.push(value);
    values.push(Number(value));
    currency ??= rowCurrency ?? undefined;
  }
  return { series: { name, source, dates, values }, exact, currency };
}
