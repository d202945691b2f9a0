/**
 * @module
 * `npm run bench -- <name> [options]`: runs one benchmark from `bench/<name>.ts`.
 *
 * Each benchmark module exports `run(args: string[]): Promise<void>`, measures the project against a real
 * reference in the same run (PostgreSQL's COPY, pg_recvlogical, DuckDB) and prints both rates and their ratio.
 */

const BENCHMARKS = [
  'seed',
  'reader',
  'lake',
  'e2e',
  'sync-dump',
  'aging',
  'chaos',
  'memory',
  'forecast',
] as const;
type BenchmarkName = (typeof BENCHMARKS)[number];

function isBenchmark(name: string | undefined): name is BenchmarkName {
  return (BENCHMARKS as readonly (string | undefined)[]).includes(name);
}

const [name, ...args] = process.argv.slice(2);
if (!isBenchmark(name)) {
  console.error(`Usage: npm run bench -- <${BENCHMARKS.join('|')}> [options]`);
  process.exit(2);
}
const benchmark = (await import(`./${name}.ts`)) as { run(args: string[]): Promise<void> };
await benchmark.run(args);

export {};
