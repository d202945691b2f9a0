/**
 * @module
 * The error a failed warehouse load raises: the transaction was rolled back and the warehouse is unchanged.
 */

/** A load that failed; the transaction was rolled back and the warehouse is unchanged. */
export class WarehouseLoadError extends Error {
  override readonly name = 'WarehouseLoadError';
}
