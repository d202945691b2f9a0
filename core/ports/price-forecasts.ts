/**
 * @module
 * PriceForecasts: where the model's predictions are kept, `market.price_forecast` in the warehouse
 * (core/schema/forecast-tables.ts; README, "The gold-price model").
 */

/** One next-day prediction with its training window and model metadata. Decimals and days are text. */
export interface PricePrediction {
  readonly model: string;
  /** `YYYY-MM-DD`, the trading day predicted. */
  readonly targetDate: string;
  readonly symbol: string;
  readonly source: string;
  readonly currency: string;
  /** Decimal text, at most 8 fraction digits. */
  readonly predictedClose: string;
  /** The last close known, exact as the lake holds it. */
  readonly lastClose: string;
  readonly lastPriceDate: string;
  readonly trainingFrom: string;
  readonly trainingTo: string;
  readonly trainingRows: number;
  readonly features: readonly string[];
  readonly library: string;
  /** The training parameters as JSON. */
  readonly parameters: string;
  /** `YYYY-MM-DD HH:MM:SS.mmm`, UTC. */
  readonly trainedAt: string;
}

/** What saving did: a new (model, target day), a changed prediction replaced, or the same one again. */
export type PredictionWrite = 'inserted' | 'replaced' | 'unchanged';

/**
 * The predictions table.
 *
 * Contract:
 * - **One per (model, target day).** `savePrediction` inserts a prediction whose (model, target day) is new;
 *   one whose key is present replaces it only when some column other than `trainedAt` differs, and otherwise
 *   writes nothing (`unchanged`): re-running a job on the same data, or a retried Lambda, changes nothing.
 * - **Lossless.** `prediction` gives back what was saved: decimals to their 8th digit, days, the timestamp to
 *   the millisecond.
 * - **Absence.** `prediction` resolves undefined for a key never saved.
 */
export interface PriceForecasts {
  savePrediction(prediction: PricePrediction): Promise<PredictionWrite>;
  prediction(model: string, targetDate: string): Promise<PricePrediction | undefined>;
}
