import { describe, expect, it, vi } from 'vitest';
import { withTrainedRegressor } from '../../forecast/xgboost-regressor.ts';

describe('the XGBoost regressor', () => {
  it('loads without leaving a process listener or loader noise behind, and fits a simple relation', async () => {
    // First in its file: this is the load of the WebAssembly module.
    const listeners = process.listenerCount('uncaughtException');
    const warn = vi.spyOn(console, 'warn');
    const rows = Array.from({ length: 200 }, (_, i) => [Math.sin(i / 7), (i % 13) / 13]);
    const targets = rows.map(([a = 0, b = 0]) => 3 * a + b);
    const predicted = await withTrainedRegressor(rows, targets, (model) => model.predict(rows));
    expect(process.listenerCount('uncaughtException')).toBe(listeners);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    const mae = predicted.reduce((sum, p, i) => sum + Math.abs(p - (targets[i] as number)), 0) / rows.length;
    expect(mae).toBeLessThan(0.1);
  });

  it('gives the same predictions for the same rows (no sampling)', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => [i % 7, i % 5]);
    const targets = rows.map(([a = 0, b = 0]) => a - b);
    const first = await withTrainedRegressor(rows, targets, (model) => model.predict(rows));
    const again = await withTrainedRegressor(rows, targets, (model) => model.predict(rows));
    expect(again).toEqual(first);
  });
});
