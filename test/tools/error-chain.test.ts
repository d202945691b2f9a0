import { describe, expect, it } from 'vitest';
import { describeErrorChain } from '../../core/error-chain.ts';

describe('describeErrorChain', () => {
  it('keeps every cause of a wrapped error, outermost first', () => {
    const root = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const middle = new Error('Could not read the cut', { cause: root });
    const outer = new Error('Loading the warehouse to cut 42 failed and was rolled back', { cause: middle });

    expect(describeErrorChain(outer)).toBe(
      'Loading the warehouse to cut 42 failed and was rolled back (caused by: Could not read the cut; ' +
        'caused by: connect ECONNREFUSED 127.0.0.1:5432)',
    );
  });

  it('shows an error without a cause as its message, and a thrown non-Error as JSON', () => {
    expect(describeErrorChain(new Error('Slot "x" is missing.'))).toBe('Slot "x" is missing.');
    expect(describeErrorChain({ code: '57P01' })).toBe('{"code":"57P01"}');
    expect(describeErrorChain('plain text')).toBe('plain text');
  });

  it('stops at a cycle instead of looping', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;

    expect(describeErrorChain(a)).toMatch(/^a \(caused by: b; caused by: a; .*; caused by: …\)$/);
  });
});
