/**
 * @module
 * The folder dependency rule: which folder may import which. The graph is acyclic and reads bottom-up like
 * the data flow in the README: the schemas, then the core vocabulary and ports, then the parts of the pipeline,
 * then the runtimes that wire them (AWS functions, the local pipeline), then the command line.
 *
 * A file belongs to the longest folder listed here that holds it (`core/schema/lake/x.ts` to `core/schema`).
 * Imports inside one folder are always allowed; an import into another folder must be listed. Type-only
 * imports count: a layer that names another's types depends on it. Checked by
 * `test/tools/folder-dependencies.test.ts`, which names every offending import.
 */

/** Every folder of the graph with the folders its files may import. */
export const FOLDER_DEPENDENCIES = {
  /** The three schemas (source, lake, warehouse star): typed data, imports nothing. */
  'core/schema': [],
  /** PostgreSQL connections: every pg client and pool the product opens, none of which a dropped connection ends. */
  postgres: [],
  /** The change event, LSN arithmetic, operations names and the ports with their contracts. */
  core: ['core/schema'],
  /** The totesys source: migration, seed, simulator, dump import, and the inspector of its WAL and slots. */
  source: ['core/schema', 'postgres'],
  /** Lake adapters (S3, a directory, Glue, Athena, DuckDB) and the Parquet writer. */
  lake: ['core', 'core/schema'],
  /** The Firehose transformation: change events to lake rows. */
  transform: ['core', 'core/schema', 'lake'],
  /** The local Firehose (the emulator AWS replaces). */
  firehose: ['core', 'core/schema', 'lake'],
  /**
   * The market-data collectors (HTTP clients of the market APIs, the files source) and the built-in synthetic
   * market: the second kind of source, putting observations through the same delivery streams.
   */
  collect: ['core', 'core/schema', 'lake'],
  /** The CDC reader and its AWS adapters (the Firehose putter, the S3 state store); reads the source's WAL. */
  reader: ['core', 'core/schema', 'postgres', 'source'],
  /** The gold-price model: features from the lake, the gradient-boosted regression, the next-day prediction. */
  forecast: ['core', 'core/schema'],
  /** The loader: cut, window queries, load batch. */
  loader: ['core', 'core/schema'],
  /** The PostgreSQL warehouse: DDL from the star schema, the Warehouse port on PostgreSQL. */
  warehouse: ['core', 'core/schema', 'postgres'],
  /** The HTTP app: dashboard, payments API, status and metrics over the warehouse, for Node and Lambda. */
  http: ['core', 'core/schema', 'postgres'],
  /** The Lambda handlers: thin wiring of the pipeline's parts to AWS (and the package manifest, for the API's version). */
  functions: [
    'core',
    'core/schema',
    'postgres',
    'lake',
    'loader',
    'reader',
    'collect',
    'source',
    'transform',
    'warehouse',
    'http',
    'forecast',
    'package.json',
  ],
  /** The AWS deployment. */
  cdk: ['core', 'core/schema'],
  /** `npm run aws:smoke`: deploys, drives and destroys a real deployment (the probe's payload types from functions/). */
  smoke: ['core', 'core/schema', 'lake', 'functions'],
  /** The offline runtime: embedded PostgreSQL, the local pipeline, status, sync, reconcile. */
  local: [
    'core',
    'core/schema',
    'postgres',
    'source',
    'lake',
    'transform',
    'firehose',
    'reader',
    'collect',
    'loader',
    'warehouse',
    'http',
    'functions',
    'forecast',
  ],
  /** The `totesys-stream` command (and the package manifest, for its version). */
  cli: [
    'core',
    'core/schema',
    'postgres',
    'source',
    'lake',
    'reader',
    'collect',
    'warehouse',
    'http',
    'local',
    'forecast',
    'package.json',
  ],
  /** The executable that starts the command line. */
  bin: ['cli'],
  /** Test doubles honouring the ports' contracts (memory stores and streams, a faulty putter); never production. */
  testing: ['core', 'core/schema'],
  /** Benchmarks: drive any production part and the doubles, never the tests. */
  bench: [
    'testing',
    'core',
    'core/schema',
    'postgres',
    'source',
    'lake',
    'transform',
    'firehose',
    'reader',
    'collect',
    'loader',
    'warehouse',
    'http',
    'functions',
    'local',
    'forecast',
  ],
  /** Repository tooling (lock check, this rule, the dashboard screenshot: it runs the CLI, imports nothing). */
  tools: [],
  /** The test suite: may import everything; nothing imports it. */
  test: [
    'testing',
    'core',
    'core/schema',
    'postgres',
    'source',
    'lake',
    'transform',
    'firehose',
    'reader',
    'collect',
    'loader',
    'warehouse',
    'http',
    'forecast',
    'functions',
    'cdk',
    'smoke',
    'local',
    'cli',
    'bin',
    'bench',
    'tools',
    'package.json',
  ],
  /** The package manifest, read for the version. */
  'package.json': [],
} as const satisfies Readonly<Record<string, readonly string[]>>;

/** A folder (or root file) of the graph. */
export type GraphFolder = keyof typeof FOLDER_DEPENDENCIES;

/** One import: the importing file and the file it resolves to, both relative to the repository root. */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

const FOLDERS = Object.keys(FOLDER_DEPENDENCIES) as GraphFolder[];

/** The folder a file belongs to: the longest listed folder that holds it (or the root file itself). */
export function folderOf(path: string): GraphFolder | undefined {
  let best: GraphFolder | undefined;
  for (const folder of FOLDERS) {
    if ((path === folder || path.startsWith(`${folder}/`)) && folder.length > (best?.length ?? -1))
      best = folder;
  }
  return best;
}

/** Every import the rule forbids, as a sentence naming the importing file, the import and the rule. */
export function folderViolations(
  edges: readonly ImportEdge[],
  rule: Readonly<Record<string, readonly string[]>> = FOLDER_DEPENDENCIES,
): string[] {
  const violations: string[] = [];
  for (const { from, to } of edges) {
    const source = folderOf(from);
    const target = folderOf(to);
    if (source === undefined) {
      violations.push(`${from} imports ${to}, but ${from} is in no folder of tools/folder-dependencies.ts.`);
      continue;
    }
    if (source === target) continue;
    const allowed = rule[source] ?? [];
    if (target !== undefined && allowed.includes(target)) continue;
    const may =
      allowed.length > 0 ? `only ${allowed.map((f) => `${f}/`).join(', ')}` : 'nothing outside itself';
    violations.push(
      `${from} imports ${to}: ${source}/ may import ${may} ` +
        `(tools/folder-dependencies.ts). Move the shared code down a layer, or change the rule if the layering changed.`,
    );
  }
  return violations;
}

/** A cycle in the rule itself, as the folders along it (first repeated at the end), or null when acyclic. */
export function ruleCycle(
  rule: Readonly<Record<string, readonly string[]>> = FOLDER_DEPENDENCIES,
): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (folder: string): string[] | null => {
    if (state.get(folder) === 'done') return null;
    if (state.get(folder) === 'visiting') return [...path.slice(path.indexOf(folder)), folder];
    state.set(folder, 'visiting');
    path.push(folder);
    for (const next of rule[folder] ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(folder, 'done');
    return null;
  };
  for (const folder of Object.keys(rule)) {
    const cycle = visit(folder);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * The layering the rule implies among `folders`: an edge `[from, to]` for each allowed import that no path
 * through another folder already implies (the transitive reduction), sorted. The README's layers diagram
 * draws exactly these.
 */
export function layerEdges(
  folders: readonly string[],
  rule: Readonly<Record<string, readonly string[]>> = FOLDER_DEPENDENCIES,
): [string, string][] {
  const inside = new Set(folders);
  const allowed = (folder: string) => (rule[folder] ?? []).filter((target) => inside.has(target));
  const reachable = (from: string, seen = new Set<string>()): Set<string> => {
    for (const next of allowed(from)) {
      if (!seen.has(next)) {
        seen.add(next);
        reachable(next, seen);
      }
    }
    return seen;
  };
  const edges: [string, string][] = [];
  for (const from of folders) {
    const targets = allowed(from);
    for (const to of targets) {
      if (!targets.some((other) => other !== to && reachable(other).has(to))) edges.push([from, to]);
    }
  }
  return edges.sort((a, b) => a.join('>').localeCompare(b.join('>')));
}
