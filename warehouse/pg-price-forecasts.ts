/**
 * @module
 * The PriceForecasts port on PostgreSQL: one parameterised `INSERT … ON CONFLICT (model, target_date) DO
 * UPDATE … WHERE` some column other than `trained_at` is distinct, so a re-run with the same result writes
 * nothing. Identifiers come from `core/schema/forecast-tables.ts` only; values are always parameters.
 */
import type pg from 'pg';
import type { PredictionWrite, PriceForecasts, PricePrediction } from '../core/ports/price-forecasts.ts';
import { PRICE_FORECAST_TABLE } from '../core/schema/forecast-tables.ts';

const table = PRICE_FORECAST_TABLE;
const QUALIFIED = `${table.schema}.${table.name}`;
const NAMES = table.columns.map((c) => c.name);
const COMPARED = NAMES.filter((name) => name !== 'trained_at' && !table.primaryKey.includes(name as never));

/** Column values of a prediction, in the table's column order. */
function columnValues(p: PricePrediction): (string | number)[] {
  const byName: Record<string, string | number> = {
    model: p.model,
    target_date: p.targetDate,
    symbol: p.symbol,
    source: p.source,
    currency: p.currency,
    predicted_close: p.predictedClose,
    last_close: p.lastClose,
    last_price_date: p.lastPriceDate,
    training_from: p.trainingFrom,
    training_to: p.trainingTo,
    training_rows: p.trainingRows,
    features: p.features.join(','),
    library: p.library,
    parameters: p.parameters,
    trained_at: p.trainedAt,
  };
  return NAMES.map((name) => byName[name] as string | number);
}

const UPSERT = `INSERT INTO ${QUALIFIED} (${NAMES.join(', ')})
  VALUES (${table.columns.map((c, i) => `$${i + 1}::${c.type}`).join(', ')})
  ON CONFLICT (${table.primaryKey.join(', ')}) DO UPDATE SET ${NAMES.filter(
    (n) => !table.primaryKey.includes(n as never),
  )
    .map((n) => `${n} = EXCLUDED.${n}`)
    .join(', ')}
  WHERE (${COMPARED.map((n) => `${QUALIFIED}.${n}`).join(', ')}) IS DISTINCT FROM (${COMPARED.map((n) => `EXCLUDED.${n}`).join(', ')})
  RETURNING (xmax = 0) AS inserted`;

/** Predictions in a PostgreSQL warehouse, over a pool the caller owns. */
export class PgPriceForecasts implements PriceForecasts {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async savePrediction(prediction: PricePrediction): Promise<PredictionWrite> {
    const result = await this.#pool
      .query<{ inserted: boolean }>(UPSERT, columnValues(prediction))
      .catch((error: unknown) => {
        throw missingTableOr(error);
      });
    const row = result.rows[0];
    if (!row) return 'unchanged';
    return row.inserted ? 'inserted' : 'replaced';
  }

  async prediction(model: string, targetDate: string): Promise<PricePrediction | undefined> {
    const result = await this.#pool
      .query<Record<string, string>>(
        `SELECT model, to_char(target_date, 'YYYY-MM-DD') AS target_date, symbol, source, currency,
              predicted_close::text AS predicted_close, last_close::text AS last_close,
              to_char(last_price_date, 'YYYY-MM-DD') AS last_price_date,
              to_char(training_from, 'YYYY-MM-DD') AS training_from, to_char(training_to, 'YYYY-MM-DD') AS training_to,
              training_rows::text AS training_rows, features, library, parameters,
              to_char(trained_at, 'YYYY-MM-DD HH24:MI:SS.MS') AS trained_at
         FROM ${QUALIFIED} WHERE model = $1 AND target_date = $2::date`,
        [model, targetDate],
      )
      .catch((error: unknown) => {
        throw missingTableOr(error);
      });
    const row = result.rows[0];
    if (!row) return undefined;
    return {
      model: row.model as string,
      targetDate: row.target_date as string,
      symbol: row.symbol as string,
      source: row.source as string,
      currency: row.currency as string,
      predictedClose: row.predicted_close as string,
      lastClose: row.last_close as string,
      lastPriceDate: row.last_price_date as string,
      trainingFrom: row.training_from as string,
      trainingTo: row.training_to as string,
      trainingRows: Number(row.training_rows),
      features: (row.features as string).split(','),
      library: row.library as string,
      parameters: row.parameters as string,
      trainedAt: row.trained_at as string,
    };
  }
}

/** PostgreSQL error code of a missing relation. */
const UNDEFINED_TABLE = '42P01';

/** A missing predictions table says how to create it; any other error stays as it is. */
function missingTableOr(error: unknown): unknown {
  if ((error as { code?: string }).code !== UNDEFINED_TABLE) return error;
  return new Error(
    `The warehouse has no ${QUALIFIED} table: run the warehouse migration first (\`totesys-stream up\` or \`sync\` runs it), or check the warehouse URL.`,
    { cause: error },
  );
}
