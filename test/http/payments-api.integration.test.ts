import { beforeEach, describe, expect, it } from 'vitest';
import type { PaymentItem } from '../../http/payments.ts';
import { type E2eWorld, syncWorld } from '../e2e/e2e-harness.ts';
import { type HttpKit, httpWorldPerTest } from '../support/http-kit.ts';
import { createTestDatabase, withClient } from '../support/test-databases.ts';
import { busiestPaymentDay, sourcePayments } from './source-payments.ts';

const http = httpWorldPerTest(0.05);
let world: E2eWorld;
let kit: HttpKit | undefined;

beforeEach(() => {
  world = http.world();
  kit = undefined;
});

describe('the payments API', () => {
  it('last5 and next5 equal the same question asked of the source, after updates, a delete and a new payment', async () => {
    // Prepare
    await syncWorld(world);
    const today = await busiestPaymentDay(world.source.url);
    kit = http.openKit(new Date(`${today}T12:00:00Z`));
    const expectBoth = async () => {
      for (const window of ['last5', 'next5'] as const) {
        const answer = await kit!.json<{ payments: PaymentItem[] }>(`/api/payments/${window}`);
        const expected = await withClient(world.source.url, (c) => sourcePayments(c, window, today));
        expect(answer.status).toBe(200);
        expect(answer.contentType).toMatch(/^application\/json/);
        expect(expected).toHaveLength(5);
        expect(answer.body).toEqual({ payments: expected });
      }
    };
    await expectBoth();

    // Act: amend one of next5 (a new version), delete one of last5 and, in the same transaction, add a payment
    // due today with an amount a float cannot hold; the new payment has the highest id, so it leads last5.
    const before = await kit.json<{ payments: PaymentItem[] }>('/api/payments/last5');
    const next = await kit.json<{ payments: PaymentItem[] }>('/api/payments/next5');
    const amended = next.body.payments[0]!.payment_id;
    const deleted = before.body.payments[1]!.payment_id;
    await withClient(world.source.url, async (client) => {
      await client.query(
        'UPDATE payment SET payment_amount = 98765432.01, paid = NOT paid, last_updated = now() WHERE payment_id = $1',
        [amended],
      );
      // The new payment takes the deleted one's transaction (a transaction has one payment).
      await client.query(
        `WITH gone AS (DELETE FROM payment WHERE payment_id = $2 RETURNING *)
         INSERT INTO payment (created_at, last_updated, transaction_id, counterparty_id, payment_amount, currency_id,
                              payment_type_id, paid, payment_date, company_ac_number, counterparty_ac_number)
         SELECT now(), now(), transaction_id, counterparty_id, 12345678.99, currency_id, payment_type_id, false, $1,
                company_ac_number, counterparty_ac_number
           FROM gone`,
        [today, deleted],
      );
    });
    await syncWorld(world);

    // Assess
    await expectBoth();
    const after = await kit.json<{ payments: PaymentItem[] }>('/api/payments/last5');
    expect(after.body.payments[0]).toMatchObject({ payment_date: today, amount: '12345678.99', paid: false });
    expect(after.body.payments.map((p) => p.payment_id)).not.toContain(deleted);
    const amendedNow = (await kit.json<{ payments: PaymentItem[] }>('/api/payments/next5')).body.payments[0];
    expect(amendedNow).toMatchObject({ payment_id: amended, amount: '98765432.01' });
  });

  it('describes itself in OpenAPI 3.1 and answers errors as problem+json', async () => {
    // Prepare: a warehouse database nobody migrated.
    const empty = await createTestDatabase('wh_empty');
    kit = http.openKit(new Date('2024-01-15T12:00:00Z'), empty.url);
    try {
      // Act
      const openapi = await kit.json<{
        openapi: string;
        paths: Record<string, unknown>;
        components: { schemas: Record<string, { required?: string[] }> };
      }>('/api/openapi.json');
      const unmigrated = await kit.json<{ status: number; title: string; detail: string }>(
        '/api/payments/last5',
      );
      const missing = await kit.json<{ status: number }>('/api/nothing-here');

      // Assess
      expect(openapi.body.openapi).toBe('3.1.0');
      expect(Object.keys(openapi.body.paths)).toEqual(
        expect.arrayContaining([
          '/api/payments/last5',
          '/api/payments/next5',
          '/api/status',
          '/healthz',
          '/metrics',
        ]),
      );
      expect(openapi.body.components.schemas['Payment']?.required?.sort()).toEqual(
        ['amount', 'counterparty', 'currency', 'paid', 'payment_date', 'payment_id', 'payment_type'].sort(),
      );
      expect(unmigrated.status).toBe(503);
      expect(unmigrated.contentType).toBe('application/problem+json');
      expect(unmigrated.body).toMatchObject({ status: 503, title: 'The warehouse has no star schema yet' });
      expect(unmigrated.body.detail).toMatch(/totesys-stream up/);
      expect(missing.status).toBe(404);
      expect(missing.contentType).toBe('application/problem+json');
    } finally {
      await kit.dispose();
      kit = undefined;
      await empty.drop();
    }
  });
});
