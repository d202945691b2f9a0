import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRuntime, resolveRuntimeSettings } from '../../local/runtime-config.ts';
import { redactUrl, urlEndpoint } from '../../local/url-redaction.ts';
import { createTestDatabase } from '../support/test-databases.ts';

describe('runtime configuration', () => {
  it('takes flags over environment variables, and defaults the data dir to .totesys-stream', () => {
    const env = { TOTESYS_SOURCE_URL: 'postgres://env/src', TOTESYS_WAREHOUSE_URL: 'postgres://env/wh' };

    const fromEnv = resolveRuntimeSettings({}, env);
    const fromFlags = resolveRuntimeSettings({ sourceUrl: 'postgres://flag/src', dataDir: 'x' }, env);
    const empty = resolveRuntimeSettings({}, { TOTESYS_SOURCE_URL: '' });

    expect(fromEnv).toEqual({
      dataDir: resolve('.totesys-stream'),
      sourceUrl: 'postgres://env/src',
      warehouseUrl: 'postgres://env/wh',
      pgPort: undefined,
    });
    expect(fromFlags.sourceUrl).toBe('postgres://flag/src');
    expect(fromFlags.warehouseUrl).toBe('postgres://env/wh');
    expect(fromFlags.dataDir).toBe(resolve('x'));
    expect(empty.sourceUrl).toBeUndefined();
  });

  it('redacts passwords from URLs and names their endpoint', () => {
    expect(redactUrl('postgres://user:p%40ss@db.example.com:6543/totesys?sslmode=require')).toBe(
      'postgres://user:***@db.example.com:6543/totesys?sslmode=require',
    );
    expect(redactUrl('postgres://db/totesys?password=hunter2')).toBe('postgres://db/totesys?password=***');
    expect(redactUrl('postgres://user@db/totesys')).toBe('postgres://user@db/totesys');
    expect(redactUrl('not a url with secret')).toBe('//<unparsable URL>');
    expect(urlEndpoint('postgres://u:p@db.example.com/x')).toBe('db.example.com:5432');
  });

  it('uses an external logical source as given, without starting an embedded cluster', async () => {
    const database = await createTestDatabase('rt');
    try {
      const runtime = await openRuntime(
        resolveRuntimeSettings({ sourceUrl: database.url, dataDir: '/nonexistent/never-created' }),
        { warehouse: false },
      );

      expect(runtime.cluster).toBeUndefined();
      expect(runtime.sourceUrl).toBe(database.url);
      await runtime.close();
    } finally {
      await database.drop();
    }
  });
});
