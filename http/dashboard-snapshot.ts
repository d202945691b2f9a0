/**
 * @module
 * One reading of everything the dashboard shows: the business and load figures from one read-only warehouse
 * transaction (one cut), and each stage's lag from the status document, read beside it.
 */
import { type BusinessFigures, readBusinessFigures } from './business-figures.ts';
import { type ForecastFigure, readForecastFigures } from './forecast-figures.ts';
import { utcDay } from './payments.ts';
import {
  type LoadHistory,
  readLoadHistory,
  type StageLags,
  type StatusLagFields,
  stageLags,
} from './pipeline-figures.ts';
import type { WarehouseReader } from './warehouse-reader.ts';

/** What the page renders, as `/api/dashboard` and each server-sent `dashboard` event carry it. */
export interface DashboardSnapshot {
  /** When it was read (UTC ISO-8601). */
  readonly readAt: string;
  readonly business: BusinessFigures;
  /** The gold-price model's latest predictions (http/forecast-figures.ts), newest first. */
  readonly forecasts: readonly ForecastFigure[];
  readonly history: LoadHistory;
  readonly lag: StageLags;
  /** Why the stage lags are missing, when the status could not be read (the figures still are). */
  readonly statusProblem: string | null;
}

/** Where a snapshot comes from. */
export interface DashboardSources {
  readonly warehouse: WarehouseReader;
  /** The `status --json` document (or the part of it this deployment can read). */
  readonly readStatus: () => Promise<StatusLagFields>;
  readonly clock: () => Date;
}

/** Reads one snapshot. */
export async function readDashboardSnapshot(sources: DashboardSources): Promise<DashboardSnapshot> {
  const now = sources.clock();
  const [figures, status] = await Promise.all([
    sources.warehouse.read(async (client) => ({
      business: await readBusinessFigures(client, utcDay(now)),
      forecasts: await readForecastFigures(client),
      history: await readLoadHistory(client),
    })),
    sources.readStatus().then(
      (document) => ({ document, problem: null }),
      (error: unknown) => ({
        document: {},
        problem: `The pipeline status could not be read: ${(error as Error).message}`,
      }),
    ),
  ]);
  return {
    readAt: now.toISOString(),
    ...figures,
    lag: stageLags(status.document, figures.history),
    statusProblem: status.problem,
  };
}
