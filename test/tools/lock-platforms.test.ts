import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  describeMissing,
  type LockPackage,
  missingOptionalBuilds,
  resolutionCandidates,
} from '../../tools/lock-platforms.ts';

const biome = (optional: Record<string, string>): LockPackage => ({
  version: '2.6.8',
  optionalDependencies: optional,
});

describe('the lock platform check', () => {
  it('reports an optional platform build that the lock does not list', () => {
    const packages: Record<string, LockPackage> = {
      '': {},
      'node_modules/@biomejs/biome': biome({
        '@biomejs/cli-linux-x64': '2.6.8',
        '@biomejs/cli-darwin-arm64': '2.6.8',
      }),
      'node_modules/@biomejs/cli-linux-x64': { version: '2.6.8' },
    };
    expect(missingOptionalBuilds(packages)).toEqual([
      { dependent: '@biomejs/biome', name: '@biomejs/cli-darwin-arm64', range: '2.6.8' },
    ]);
  });

  it('accepts a build nested under its dependent or hoisted to any enclosing node_modules', () => {
    const packages: Record<string, LockPackage> = {
      'node_modules/a/node_modules/b': { optionalDependencies: { nested: '1', hoisted: '1', root: '1' } },
      'node_modules/a/node_modules/b/node_modules/nested': {},
      'node_modules/a/node_modules/hoisted': {},
      'node_modules/root': {},
    };
    expect(missingOptionalBuilds(packages)).toEqual([]);
  });

  it('searches from the nearest node_modules up to the root, as Node resolves', () => {
    expect(resolutionCandidates('node_modules/a/node_modules/@s/b', 'x')).toEqual([
      'node_modules/a/node_modules/@s/b/node_modules/x',
      'node_modules/a/node_modules/x',
      'node_modules/x',
    ]);
  });

  it('tells the developer how to regenerate the lock', () => {
    const message = describeMissing([
      { dependent: '@biomejs/biome', name: '@biomejs/cli-win32-x64', range: '2.6.8' },
    ]);
    expect(message).toContain('@biomejs/cli-win32-x64@2.6.8 (optional dependency of @biomejs/biome)');
    expect(message).toContain('npm install --package-lock-only');
  });

  it('passes on the committed lock', () => {
    const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
      packages: Record<string, LockPackage>;
    };
    expect(missingOptionalBuilds(lock.packages)).toEqual([]);
  });
});
