import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type E2eWorld, openWorld, syncWorld } from '../e2e/e2e-harness.ts';
import { withClient } from '../support/test-databases.ts';
import { startCli } from './run-cli.ts';

let world: E2eWorld;
const role = `dashboard_${randomBytes(4).toString('hex')}`;
const password = randomBytes(12).toString('hex');

beforeEach(async () => {
  world = await openWorld(0.01);
  await syncWorld(world);
  // The read-only role of the README ("The dashboard and the API"), granted exactly what it says.
  await withClient(world.warehouse.url, async (client) => {
    const database = client.escapeIdentifier(world.warehouse.name);
    await client.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
    await client.query(`GRANT USAGE ON SCHEMA public, pipeline, market TO ${role}`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public, pipeline, market TO ${role}`);
  });
});

afterEach(async () => {
  await withClient(world.warehouse.url, async (client) => {
    await client.query(`DROP OWNED BY ${role}`);
    await client.query(`DROP ROLE IF EXISTS ${role}`);
  });
  await world.close();
});

describe('serve', () => {
  it('serves the dashboard, payments and metrics over a warehouse it may only read, until SIGINT', async () => {
    // Prepare
    const url = new URL(world.warehouse.url);
    url.username = role;
    url.password = password;
    const serve = startCli(['--data-dir', world.dataDir, '--warehouse-url', url.toString(), 'serve']);

    // Act
    await serve.waitFor(/^dashboard: http:\/\/127\.0\.0\.1:\d+\n/);
    const base = serve.output().stdout.split('\n')[0]!.slice('dashboard: '.length);
    const [page, last5, metrics, status] = await Promise.all(
      ['/', '/api/payments/last5', '/metrics', '/api/status'].map((path) => fetch(`${base}${path}`)),
    );
    const payments = (await last5!.json()) as { payments: unknown[] };
    const problem = (await status!.json()) as { title: string };
    serve.child.kill('SIGINT');
    const result = await serve.finished;

    // Assess
    expect(result.stderr).toBe('');
    expect(page!.status).toBe(200);
    expect(last5!.status).toBe(200);
    expect(payments.payments).toHaveLength(5);
    expect(metrics!.status).toBe(200);
    expect(await metrics!.text()).toContain('totesys_warehouse_rows_loaded_total{table="fact_payment"}');
    // Without a source there is no status; the answer says how to get one.
    expect(status!.status).toBe(503);
    expect(status!.headers.get('content-type')).toBe('application/problem+json');
    expect(problem.title).toBe('The status needs the source');
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(password);
  });
});
