import { describe, expect, it } from 'vitest';
import { failureKind } from '../../core/failure-kind.ts';
import { ChangeStreamPutError, OversizedEventError } from '../../reader/firehose-change-stream.ts';

describe('failureKind', () => {
  it('is deterministic when the error or any cause in its chain says so, transient otherwise', () => {
    const oversized = new OversizedEventError('too big');
    expect(failureKind(oversized)).toBe('deterministic');
    expect(failureKind(new Error('replication failed', { cause: oversized }))).toBe('deterministic');
    expect(failureKind(new ChangeStreamPutError('no stream', { failureKind: 'deterministic' }))).toBe(
      'deterministic',
    );
    expect(failureKind(new ChangeStreamPutError('still rejected after 8 attempts'))).toBe('transient');
    expect(failureKind(new Error('connection reset'))).toBe('transient');
    expect(failureKind('a string')).toBe('transient');
  });
});
