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

/**
 * At most how many distinct changes of `tables` the lake holds with a commit LSN in (`fromLsn`, the cut], from
 * the records of `rounds` (the rounds the cut passes, in LSN order): a round names every partition that
 * received a change since the round before it (core/ports/round-log.ts), so the records of those partitions
 * count every such change. Undefined when they do not say: no round, a round without records, a partition a
 * round named but did not count (a round owed after a crash), or a first round whose predecessor lies above
 * `fromLsn` (changes between the two went uncounted). Copies from at-least-once delivery are not counted.
 */
export function changeBound(
  rounds: readonly WatermarkRound[],
  fromLsn: bigint,
  tables: readonly LakeTableName[],
): number | undefined {
  if (rounds.length === 0) return undefined;
  let below = fromLsn;
  let bound = 0;
  for (const round of rounds) {
    // A predecessor below the one before counts some changes twice (still a bound); one above leaves a gap.
    if (round.previousLsn !== null && BigInt(round.previousLsn) > below) return undefined;
    for (const table of tables) {
      for (const dt of round.partitions[table] ?? []) {
        const counted = round.records?.[table]?.[dt];
        if (counted === undefined) return undefined;
        bound += counted;
      }
    }
    below = BigInt(round.lsn);
  }
  return bound;
}
