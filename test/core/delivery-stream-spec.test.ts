import { describe, expect, it } from 'vitest';
import {
  deliveryStreamSpecs,
  lakeTableOfStream,
  marketDeliveryStreamSpecs,
  marketTableOfStream,
} from '../../core/delivery-stream-spec.ts';

describe('the lake table of a delivery stream, from its name or ARN', () => {
  it('finds each totesys stream, whatever the prefix, and takes the longest source name', () => {
    for (const prefix of ['totesys-', 'acme-prod-']) {
      for (const spec of deliveryStreamSpecs({ runtime: 'aws', streamPrefix: prefix })) {
        expect(lakeTableOfStream(spec.name)).toBe(spec.lakeTable);
        expect(lakeTableOfStream(`arn:aws:firehose:eu-west-2:1:deliverystream/${spec.name}`)).toBe(
          spec.lakeTable,
        );
      }
    }
    expect(lakeTableOfStream('totesys-payment_type')).toBe('dim_payment_type');
    expect(lakeTableOfStream('totesys-payment')).toBe('fact_payment');
  });

  it('tells market streams apart: no totesys table for them, and their market table', () => {
    for (const spec of marketDeliveryStreamSpecs({ runtime: 'aws' })) {
      expect(lakeTableOfStream(spec.name)).toBeUndefined();
      expect(marketTableOfStream(spec.name)).toBe(spec.lakeTable);
    }
    expect(lakeTableOfStream('something-else')).toBeUndefined();
  });
});
