import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from './test-databases.ts';

describe('the unit layer', () => {
  it('refuses a PostgreSQL connection with a message that says where such a test belongs', async () => {
    const client = new pg.Client({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    await expect(client.connect()).rejects.toThrow(/runs in the unit project.*\*\.integration\.test\.ts/);
  });

  it('has no test cluster: a test database cannot be made here', async () => {
    await expect(createTestDatabase('unit')).rejects.toMatchObject({ name: 'NoTestClusterError' });
  });
});
