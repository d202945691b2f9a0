/**
 * The types of `ml-xgboost` (XGBoost compiled to WebAssembly; the package ships none): its default export is
 * a promise of the booster class, resolved once the WebAssembly module is ready. Only what
 * forecast/xgboost-regressor.ts uses.
 */
declare module 'ml-xgboost' {
  /** Parameters as XGBoost names them, plus `iterations` (boosting rounds). */
  export type BoosterParameters = Readonly<Record<string, string | number>>;

  export interface Booster {
    train(rows: readonly (readonly number[])[], labels: readonly number[]): void;
    predict(rows: readonly (readonly number[])[]): number[];
    /** Frees the model's WebAssembly memory (not garbage-collected). */
    free(): void;
  }

  const XGBoostReady: Promise<new (parameters: BoosterParameters) => Booster>;
  export default XGBoostReady;
}
