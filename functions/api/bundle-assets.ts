/**
 * @module
 * Run at bundling time (cdk/lib/constructs/payments-api.ts): builds the dashboard's script and style sheet
 * into the directory given, beside the Lambda's bundle, where functions/api/handler.ts serves them from. The
 * Lambda has no esbuild; the build is the same one `up` makes in memory (http/dashboard-assets.ts).
 *
 *     node --import tsx functions/api/bundle-assets.ts <bundle>/dashboard
 */
import { writeDashboardAssets } from '../../http/dashboard-assets.ts';

const [dir] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: node --import tsx functions/api/bundle-assets.ts <output directory>\n');
  process.exitCode = 2;
} else {
  await writeDashboardAssets(dir);
}
