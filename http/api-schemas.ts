/**
 * @module
 * The JSON shapes of the API as zod schemas: the one definition the routes answer with and the OpenAPI
 * document (`/api/openapi.json`) is generated from.
 */
import { z } from '@hono/zod-openapi';

/** One payment (http/payments.ts reads it). */
export const PaymentSchema = z
  .object({
    payment_id: z.number().int().openapi({ example: 11954 }),
    payment_date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .openapi({ example: '2026-12-01' }),
    amount: z
      .string()
      .regex(/^-?\d+\.\d{2}$/)
      .openapi({ description: 'The exact amount as a decimal string.', example: '183722.40' }),
    currency: z.string().length(3).openapi({ description: 'ISO 4217 code.', example: 'GBP' }),
    counterparty: z
      .string()
      .openapi({ description: "The counterparty's legal name.", example: 'Fahey and Sons' }),
    paid: z.boolean(),
    payment_type: z.string().openapi({ example: 'SALES_RECEIPT' }),
  })
  .openapi('Payment');

/** The answer of both payment endpoints. */
export const PaymentsSchema = z.object({ payments: z.array(PaymentSchema).max(5) }).openapi('Payments');

/** An error, as RFC 9457 `application/problem+json`. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'about:blank' }),
    title: z.string().openapi({ example: 'The warehouse cannot be read' }),
    status: z.number().int().openapi({ example: 503 }),
    detail: z.string().optional(),
    instance: z.string().optional(),
  })
  .openapi('Problem');

/** `/healthz`. */
export const HealthSchema = z
  .object({ status: z.literal('ok'), cut: z.string().nullable().openapi({ description: 'The cut as X/Y.' }) })
  .openapi('Health');

/** `/api/status`: the `status --json` document, whose parts this deployment can read. */
export const StatusSchema = z.record(z.string(), z.unknown()).openapi('Status', {
  description: 'The document `totesys-stream status --json` prints (README "Commands").',
});
