import { describe, expect, it } from 'vitest';
import { ApiConfigError, readApiConfig } from '../../functions/api/config.ts';

describe('readApiConfig', () => {
  it('names every missing variable and what to set', () => {
    expect(() => readApiConfig({})).toThrow(ApiConfigError);
    expect(() => readApiConfig({})).toThrow(
      /TOTESYS_WAREHOUSE_SECRET_ARN \(a read-only role's secret\) or TOTESYS_WAREHOUSE_URL.*TOTESYS_LAKE_BUCKET/,
    );
    expect(() =>
      readApiConfig({
        TOTESYS_WAREHOUSE_URL: 'postgres://x',
        TOTESYS_LAKE_BUCKET: 'b',
        TOTESYS_DB_TLS: 'on',
      }),
    ).toThrow(/TOTESYS_DB_TLS must be "require" or "disable", not "on"/);
  });

  it('prefers the secret to the URL and requires TLS by default', () => {
    expect(
      readApiConfig({
        TOTESYS_WAREHOUSE_SECRET_ARN: 'arn:secret',
        TOTESYS_WAREHOUSE_URL: 'postgres://x',
        TOTESYS_LAKE_BUCKET: 'b',
      }),
    ).toEqual({ warehouse: { kind: 'secret', arn: 'arn:secret' }, tls: 'require', lakeBucket: 'b' });
  });
});
