/**
 * @module
 * The warehouse DDL of the model predictions (README, "The gold-price model"): `market.price_forecast`,
 * generated from `core/schema/forecast-tables.ts`, with its columns' comments. Idempotent like the market DDL
 * (warehouse/market-ddl.ts), and applied after it: the table lives in schema `market`.
 */
import { PRICE_FORECAST_TABLE } from '../core/schema/forecast-tables.ts';

const table = PRICE_FORECAST_TABLE;
const qualified = `${table.schema}.${table.name}`;

/** The forecast table keyed by (model, target date), and a comment on each column. */
export const FORECAST_TABLE_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS ${qualified} (\n${table.columns
    .map((c) => `    ${c.name} ${c.type} NOT NULL`)
    .join(',\n')},\n    PRIMARY KEY (${table.primaryKey.join(', ')})\n  )`,
  // Comments are literals: quote them as SQL strings (they come from the schema module, never from input).
  ...table.columns.map(
    (c) => `COMMENT ON COLUMN ${qualified}.${c.name} IS '${c.comment.replaceAll("'", "''")}'`,
  ),
];
