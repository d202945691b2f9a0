/**
 * @module
 * A lake object that vanished while nothing was reading it leaves no failed read behind: the loader would pass
 * over its rows as if they never were. Each watermark round therefore says how many changes the reader put
 * into each partition (core/ports/round-log.ts, `records`), and the loader, for every round its new cut
 * passes, checks that the lake holds at least that many distinct changes there (duplicates of at-least-once
 * delivery count once, so more is fine; fewer means an object is gone). A shortfall is handled like an
 * unreadable object (lake/unreadable-objects.ts): named in `status`, counted, and the table re-read.
 */
import type { QueryEngine, QueryParameter } from '../core/ports/query-engine.ts';
import type { MissingRecords, WatermarkRound } from '../core/ports/round-log.ts';
import { LAKE_TABLE_NAMES, type LakeTableName } from '../core/schema/lake-tables.ts';
import { EVERY_DAY, partitionId } from './consistent-cut.ts';
import { bindParameters, type LoaderQuery, type QueryParameterName } from './loader-queries.ts';

/**
 * The partitions of `rounds` (those the new cut passes, in LSN order, all above `fromLsn`) whose changes in the
 * lake fall short of the round's count. One query over every partition the rounds counted.
 */
export async function missingRoundRecords(
  engine: QueryEngine,
  query: LoaderQuery,
  rounds: readonly WatermarkRound[],
  fromLsn: bigint,
): Promise<MissingRecords[]> {
  // A round whose predecessor is below the previous cut (the first after a quiet mark) may count changes at or
  // below the cut, which this run does not read (the engine skips those files): it is left unchecked rather
  // than misjudged.
  const counted = rounds.filter(
    (round) => round.records !== undefined && BigInt(round.previousLsn ?? '-1') >= fromLsn,
  );
  if (counted.length === 0) return [];
  const days = new Map<LakeTableName, string[]>();
  for (const round of counted)
    for (const [table, partitions] of Object.entries(round.records ?? {}))
      days.set(table as LakeTableName, [
        ...(days.get(table as LakeTableName) ?? []),
        ...Object.keys(partitions),
      ]);
  const values: Partial<Record<QueryParameterName, QueryParameter>> = {
    prev_cut: String(fromLsn),
    cut: counted[counted.length - 1]!.lsn,
  };
  for (const table of LAKE_TABLE_NAMES) {
    const named = [...(days.get(table) ?? [])].sort();
    values[`dt_from_${table}`] = named[0] ?? EVERY_DAY;
    values[`dt_to_${table}`] = named[named.length - 1] ?? EVERY_DAY;
  }
  const result = await engine.query(query.sql, bindParameters(query, values));
  const at = (name: string) => result.columns.indexOf(name);
  const [tableAt, dtAt, lsnAt, recordsAt] = [at('lake_table'), at('dt'), at('lsn'), at('records')];
  // Per partition, its changes by commit LSN.
  const found = new Map<string, { lsn: bigint; records: number }[]>();
  for (const row of result.rows) {
    const id = partitionId(row[tableAt] as LakeTableName, String(row[dtAt]));
    const list = found.get(id) ?? [];
    list.push({ lsn: BigInt(row[lsnAt] ?? '0'), records: Number(row[recordsAt] ?? 0) });
    found.set(id, list);
  }
  const missing: MissingRecords[] = [];
  for (const round of counted) {
    const above = round.previousLsn === null ? -1n : BigInt(round.previousLsn);
    const upTo = BigInt(round.lsn);
    for (const [table, partitions] of Object.entries(round.records ?? {})) {
      for (const [dt, expected] of Object.entries(partitions)) {
        const held = (found.get(partitionId(table as LakeTableName, dt)) ?? [])
          .filter((changes) => changes.lsn > above && changes.lsn <= upTo)
          .reduce((sum, changes) => sum + changes.records, 0);
        if (held < expected)
          missing.push({
            table: table as LakeTableName,
            dt,
            roundLsn: round.lsn,
            afterLsn: String(above),
            expected,
            found: held,
          });
      }
    }
  }
  return missing;
}
