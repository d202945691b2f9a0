/**
 * @module
 * The Log port's contract (core/ports/log.ts), as a suite run against every implementation: each gives a
 * fresh log at a minimum level and a way to read back what it wrote, normalised to level, message and text.
 */
import { describe, expect, it } from 'vitest';
import type { Log, LogLevel } from '../../core/ports/log.ts';

/** One written entry as the contract sees it: its level, its message, and everything it shows as text. */
export interface WrittenEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly text: string;
}

/** A log under test and what it wrote so far. */
export interface LogUnderTest {
  readonly log: Log;
  written(): WrittenEntry[];
}

/** Registers the contract tests for one implementation. */
export function describeLogContract(name: string, open: (minimum: LogLevel) => LogUnderTest): void {
  describe(`Log contract: ${name}`, () => {
    it('writes each call at or above the minimum once, with its level, message and fields', () => {
      const { log, written } = open('INFO');
      log.debug('hidden detail');
      log.info('table snapshotted', { table: 'staff', rows: 42, lsn: '0/16B3748' });
      log.warn('re-read failed; it stays requested', { tables: ['currency', 'design'] });
      log.error('the CDC reader stopped', { slot: 'totesys_stream' });

      const entries = written();
      expect(entries.map((e) => [e.level, e.message])).toEqual([
        ['INFO', 'table snapshotted'],
        ['WARN', 're-read failed; it stays requested'],
        ['ERROR', 'the CDC reader stopped'],
      ]);
      expect(entries[0]?.text).toMatch(/staff/);
      expect(entries[0]?.text).toMatch(/42/);
      expect(entries[0]?.text).toMatch(/0\/16B3748/);
      expect(entries[1]?.text).toMatch(/currency/);
      expect(entries[2]?.text).toMatch(/totesys_stream/);
    });

    it('shows an error with every cause beneath it', () => {
      const { log, written } = open('DEBUG');
      const error = new Error('load failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:5432') });
      log.error('loader run failed', { error });
      expect(written()[0]?.text).toMatch(/load failed/);
      expect(written()[0]?.text).toMatch(/ECONNREFUSED/);
    });

    it('adds bound fields to every entry of a derived log, the entry winning on a clash', () => {
      const { log, written } = open('DEBUG');
      const reader = log.with({ stage: 'reader', table: 'staff' });
      reader.warn('table truncated at the source', { table: 'payment' });
      reader.info('resuming snapshot under a fresh point');
      const [first, second] = written();
      expect(first?.text).toMatch(/reader/);
      expect(first?.text).toMatch(/payment/);
      expect(first?.text).not.toMatch(/staff/);
      expect(second?.text).toMatch(/staff/);
    });

    it('writes nothing below the minimum', () => {
      const { log, written } = open('ERROR');
      log.debug('a');
      log.info('b');
      expect(written().filter((e) => e.level === 'DEBUG' || e.level === 'INFO')).toEqual([]);
    });
  });
}
