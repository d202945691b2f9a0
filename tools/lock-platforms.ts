/**
 * Checks that package-lock.json lists every optional dependency its packages declare.
 *
 * Packages that ship native code (Biome, the DuckDB bindings, esbuild, TypeScript 7, rolldown) declare one
 * optional dependency per platform and let npm install only the matching one. `npm ci` insists that the lock
 * lists all of them, so a lock written while the registry lacked some platforms' builds installs on this
 * machine and is refused on every other (issue 9). Run by `npm run check`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The parts of a lockfileVersion 3 `packages` entry this check reads. */
export type LockPackage = {
  version?: string;
  optionalDependencies?: Record<string, string>;
};

/** An optional dependency that a package declares and the lock does not list anywhere it could resolve. */
export type MissingOptionalBuild = { dependent: string; name: string; range: string };

/**
 * The lock locations Node would search for `name` required from the package at `path`, nearest first:
 * `path/node_modules/name`, then each enclosing `node_modules`, then the root's.
 */
export function resolutionCandidates(path: string, name: string): string[] {
  const candidates: string[] = [];
  let dir = path;
  for (;;) {
    candidates.push(dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`);
    if (dir === '') return candidates;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

/** Every optional dependency declared in the lock that no resolution candidate provides. */
export function missingOptionalBuilds(packages: Record<string, LockPackage>): MissingOptionalBuild[] {
  const missing: MissingOptionalBuild[] = [];
  for (const [path, entry] of Object.entries(packages)) {
    for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
      if (!resolutionCandidates(path, name).some((candidate) => candidate in packages)) {
        missing.push({
          dependent: path === '' ? 'the project' : path.replace(/^.*node_modules\//, ''),
          name,
          range,
        });
      }
    }
  }
  return missing;
}

/** The message a developer reads when the check fails: what is wrong, why it matters and what to run. */
export function describeMissing(missing: MissingOptionalBuild[]): string {
  const shown = missing
    .slice(0, 8)
    .map((m) => `  ${m.name}@${m.range} (optional dependency of ${m.dependent})`);
  const more = missing.length > shown.length ? [`  … and ${missing.length - shown.length} more`] : [];
  return [
    `package-lock.json lacks ${missing.length} optional platform build(s):`,
    ...shown,
    ...more,
    'npm ci refuses such a lock on the platforms whose builds are missing (and CI runs npm ci).',
    'Regenerate the missing entries without moving any version, with the registry reachable:',
    '  npm install --package-lock-only',
    'and if that leaves them out, start from scratch (versions may move; say which in the commit):',
    '  rm package-lock.json && npm install --package-lock-only',
    'then commit package-lock.json.',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lockPath = new URL('../package-lock.json', import.meta.url);
  const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { packages?: Record<string, LockPackage> };
  const missing = missingOptionalBuilds(lock.packages ?? {});
  if (missing.length > 0) {
    console.error(describeMissing(missing));
    process.exitCode = 1;
  }
}
