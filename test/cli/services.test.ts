import { describe, expect, it } from 'vitest';
import { statusLine } from '../../cli/services.ts';

describe("up's status line", () => {
  it('is printed whole when one fragment fails (its database is restarting), naming the one that did', async () => {
    const line = await statusLine(
      [
        {
          name: 'source',
          status: async () => {
            throw new Error('Connection terminated unexpectedly');
          },
        },
        { name: 'pipeline', status: () => 'warehouse cut 0/1A2B' },
      ],
      {},
      new Date('2026-12-01T17:05:06Z'),
    );
    expect(line).toBe('17:05:06 | source unavailable | warehouse cut 0/1A2B');
  });
});
