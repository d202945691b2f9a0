/**
 * @module
 * The gradient-boosted regression (README, "The gold-price model", which says why this library): XGBoost
 * itself, compiled to WebAssembly by `ml-xgboost` (no native build and no download at install, so it runs
 * offline and in Lambda). Loaded on first use: the WebAssembly module is 0.9 MB and only `forecast` needs it.
 * Deterministic: no row or column sampling, one thread, so the same rows always give the same model.
 */
import { createRequire } from 'node:module';
import type XGBoostReady from 'ml-xgboost';
/**
 * The library and version every prediction names (`market.price_forecast.library`); a unit test keeps it equal
 * to the installed package's version.
 */
export const REGRESSOR_LIBRARY = 'ml-xgboost 1.1.2';

/** XGBoost's training parameters for the model (`iterations` are boosting rounds). */
export const REGRESSOR_PARAMETERS = {
  booster: 'gbtree',
  objective: 'reg:linear',
  base_score: 0,
  max_depth: 3,
  eta: 0.05,
  min_child_weight: 5,
  subsample: 1,
  colsample_bytree: 1,
  lambda: 1,
  silent: 1,
  iterations: 150,
} as const;

/** A trained model: predictions for feature rows in the training order. */
export interface TrainedRegressor {
  predict(rows: readonly (readonly number[])[]): number[];
}

/**
 * Trains on `rows` (features) and `targets`, hands the model to `use`, and frees its WebAssembly memory
 * afterwards whatever `use` does.
 */
export async function withTrainedRegressor<T>(
  rows: readonly (readonly number[])[],
  targets: readonly number[],
  use: (model: TrainedRegressor) => T,
): Promise<T> {
  const Booster = await loadBooster();
  const booster = new Booster(REGRESSOR_PARAMETERS);
  try {
    booster.train(rows, targets);
    return use({ predict: (input) => booster.predict(input) });
  } finally {
    booster.free();
  }
}

/** The WebAssembly module's two lines about Node's `fetch` refusing a file path (it then reads the file). */
const LOADER_NOISE = /^(wasm streaming compile failed|falling back to ArrayBuffer instantiation)/;

let booster: ReturnType<typeof importBooster> | undefined;

/** Loads the module once per process; a failed load is tried again on the next call. */
function loadBooster(): ReturnType<typeof importBooster> {
  booster ??= importBooster().catch((error: unknown) => {
    booster = undefined;
    throw error;
  });
  return booster;
}

/**
 * The module's Emscripten loader tries `fetch` on its own file path first, fails, says so on stderr through
 * `console.warn`, and falls back to reading the file: those two lines are dropped while it loads, nothing else.
 * It also adds a process `uncaughtException` listener that rethrows (for its own `exit()`, which this code never
 * calls); that listener is removed again, so a crash of the host process stays Node's default.
 */
async function importBooster() {
  const listeners = new Set(process.listeners('uncaughtException'));
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && LOADER_NOISE.test(args[0])) return;
    warn(...args);
  };
  try {
    // A CommonJS module whose export is the promise itself: required, not imported (an ESM loader wraps
    // it in a namespace object). In a Lambda bundle it stays a package beside the bundle, with its .wasm file.
    const ready = createRequire(import.meta.url)('ml-xgboost') as typeof XGBoostReady;
    return await ready;
  } finally {
    console.warn = warn;
    for (const listener of process.listeners('uncaughtException'))
      if (!listeners.has(listener)) process.off('uncaughtException', listener);
  }
}
