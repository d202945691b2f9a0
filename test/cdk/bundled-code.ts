/**
 * @module
 * Where a synthesized stack's Lambda code asset was bundled to, for tests that look inside the bundle.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The directory of the (first) Lambda code asset of stack `stackName`, synthesized into `outdir`. */
export function bundledCodeDir(outdir: string, stackName: string): string {
  const assets = JSON.parse(readFileSync(join(outdir, `${stackName}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string } }>;
  };
  const code = Object.values(assets.files).find((f) => f.source.path.startsWith('asset.'));
  if (!code) throw new Error('No Lambda code asset was written');
  return join(outdir, code.source.path);
}
