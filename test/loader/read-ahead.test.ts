import { describe, expect, it } from 'vitest';
import { readAhead } from '../../loader/read-ahead.ts';

/** A window that notes when it starts, yields `batches` and notes when it ends. */
function window(name: string, batches: number, events: string[], fail = false): AsyncIterable<string> {
  return {
    async *[Symbol.asyncIterator]() {
      events.push(`${name} started`);
      try {
        if (fail) throw new Error(`${name} cannot be read`);
        for (let i = 0; i < batches; i++) yield `${name}${i}`;
      } finally {
        events.push(`${name} ended`);
      }
    },
  };
}

async function drain(iterable: AsyncIterable<string>, events: string[]): Promise<void> {
  for await (const batch of iterable) events.push(`read ${batch}`);
}

describe('readAhead', () => {
  it("starts the next window's read when a window starts being read, and never one further", async () => {
    const events: string[] = [];
    const ahead = readAhead([window('a', 2, events), window('b', 1, events), window('c', 1, events)]);
    const [a, b, c] = ahead.windows;
    const reading = a![Symbol.asyncIterator]();
    await reading.next();
    // b's first batch is on its way while a is read; c waits for b to be read.
    expect(events).toEqual(['a started', 'b started']);
    await reading.next();
    await reading.next();
    await drain(b!, events);
    await drain(c!, events);
    expect(events).toEqual([
      'a started',
      'b started',
      'a ended',
      'c started',
      'read b0',
      'b ended',
      'read c0',
      'c ended',
    ]);
    await ahead.close();
    expect(events.filter((e) => e.endsWith('ended'))).toHaveLength(3);
  });

  it('ends a window read ahead whose reader never came (a load that failed half-way)', async () => {
    const events: string[] = [];
    const ahead = readAhead([window('a', 2, events), window('b', 3, events)]);
    const reading = ahead.windows[0]![Symbol.asyncIterator]();
    await reading.next();
    await reading.return?.();
    expect(events).toEqual(['a started', 'b started', 'a ended']);
    await ahead.close();
    expect(events).toEqual(['a started', 'b started', 'a ended', 'b ended']);
  });

  it("reports a failed read ahead to the window's reader, and to no one before", async () => {
    const events: string[] = [];
    const ahead = readAhead([window('a', 1, events), window('b', 1, events, true)]);
    await drain(ahead.windows[0]!, events);
    expect(events).toContain('b ended');
    await expect(drain(ahead.windows[1]!, events)).rejects.toThrow('b cannot be read');
    await ahead.close();
  });
});
