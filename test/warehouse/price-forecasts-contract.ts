/**
 * @module
 * The PriceForecasts contract (core/ports/price-forecasts.ts) as a test suite every implementation runs.
 */
import { describe, expect, it } from 'vitest';
import type { PriceForecasts, PricePrediction } from '../../core/ports/price-forecasts.ts';

/** One implementation, fresh and empty. */
export interface PriceForecastsUnderTest {
  readonly forecasts: PriceForecasts;
  /** Rows of the store for `model`, whatever their target day. */
  count(model: string): Promise<number>;
  dispose(): Promise<void>;
}

const PREDICTION: PricePrediction = {
  model: 'gold-xgboost',
  targetDate: '2026-12-01',
  symbol: 'GLD',
  source: 'synthetic',
  currency: 'USD',
  predictedClose: '341.30093258',
  lastClose: '339.44000000',
  lastPriceDate: '2026-11-30',
  trainingFrom: '2024-01-16',
  trainingTo: '2026-11-30',
  trainingRows: 750,
  features: ['gold_return_1', 'equity_return_1'],
  library: 'ml-xgboost 1.1.2',
  parameters: '{"max_depth":3}',
  trainedAt: '2026-11-30 23:00:00.123',
};

/** Runs the contract against fresh implementations from `create`. */
export function priceForecastsContract(name: string, create: () => Promise<PriceForecastsUnderTest>): void {
  describe(`PriceForecasts contract: ${name}`, () => {
    it('keeps one prediction per (model, target day): new inserts, the same again is unchanged, a change replaces', async () => {
      const under = await create();
      try {
        const { forecasts } = under;
        expect(await forecasts.savePrediction(PREDICTION)).toBe('inserted');
        // A re-run trains again (a new trainedAt) on the same data: nothing to write.
        expect(await forecasts.savePrediction({ ...PREDICTION, trainedAt: '2026-11-30 23:10:00.000' })).toBe(
          'unchanged',
        );
        expect(await forecasts.prediction(PREDICTION.model, PREDICTION.targetDate)).toEqual(PREDICTION);
        const revised = {
          ...PREDICTION,
          predictedClose: '340.00000001',
          trainedAt: '2026-12-01 08:00:00.000',
        };
        expect(await forecasts.savePrediction(revised)).toBe('replaced');
        expect(await forecasts.prediction(PREDICTION.model, PREDICTION.targetDate)).toEqual(revised);
        expect(await forecasts.savePrediction({ ...PREDICTION, targetDate: '2026-12-02' })).toBe('inserted');
        expect(await under.count(PREDICTION.model)).toBe(2);
      } finally {
        await under.dispose();
      }
    });

    it('gives back what it saved, losslessly, and nothing for a key never saved', async () => {
      const under = await create();
      try {
        const exact = { ...PREDICTION, predictedClose: '9999999999.99999999', lastClose: '0.00000001' };
        await under.forecasts.savePrediction(exact);
        expect(await under.forecasts.prediction(exact.model, exact.targetDate)).toEqual(exact);
        expect(await under.forecasts.prediction(exact.model, '2026-12-03')).toBeUndefined();
        expect(await under.forecasts.prediction('another-model', exact.targetDate)).toBeUndefined();
      } finally {
        await under.dispose();
      }
    });
  });
}
