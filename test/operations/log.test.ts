import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LogEntry, type LogLevel, parseLogLevel } from '../../core/ports/log.ts';
import { powertoolsLog } from '../../functions/operations/powertools-log.ts';
import { formatLogLine, terminalLog } from '../../local/terminal-log.ts';
import { memoryLog } from '../../testing/memory-operations.ts';
import { describeLogContract } from './log-contract.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describeLogContract('memory double', (minimum) => {
  const { entries, log } = memoryLog(minimum);
  return {
    log,
    written: () => entries.map((e) => ({ level: e.level, message: e.message, text: textOf(e) })),
  };
});

describeLogContract('terminal printer', (minimum) => {
  const lines: string[] = [];
  const log = terminalLog({ sink: { write: (text) => lines.push(text) }, minimum });
  return {
    log,
    written: () =>
      lines.map((line) => {
        const [, level, rest] = /^\d\d:\d\d:\d\d (\w+)\s+(.*)$/s.exec(line) ?? [];
        const message = (rest ?? '').replace(/^(reader|loader|firehose|transformer|seed|smoke) /, '');
        return { level: level as LogLevel, message: message.split(/ \w+=| error: /)[0] ?? '', text: line };
      }),
  };
});

describeLogContract('Powertools Logger (Lambda)', (minimum) => {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
  }
  const log = powertoolsLog(new Logger({ serviceName: 'contract', logLevel: minimum }));
  return {
    log,
    written: () =>
      lines.map((line) => {
        const entry = JSON.parse(line) as { level: LogLevel; message: string };
        return { level: entry.level, message: entry.message, text: line };
      }),
  };
});

function textOf(entry: LogEntry): string {
  return JSON.stringify(entry, (_key, value: unknown) =>
    value instanceof Error
      ? `${value.message} ${textOf({ level: 'ERROR', message: '', error: value.cause })}`
      : value,
  );
}

describe('terminal printer', () => {
  it('prints every warning even when told to print errors only, so no warning is lost to the user', () => {
    const lines: string[] = [];
    const log = terminalLog({ sink: { write: (text) => lines.push(text) }, minimum: 'ERROR' });
    log.warn('re-read failed; it stays requested', { stage: 'reader', tables: ['staff'] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/WARN {2}reader re-read failed; it stays requested tables=staff/);
  });

  it('formats one readable line: time, level, stage, message, fields, then the error chain', () => {
    const line = formatLogLine(
      {
        level: 'ERROR',
        message: 'load failed; retrying at the next tick',
        stage: 'loader',
        lsn: '0/16B3748',
        error: new TypeError('bad', { cause: new Error('worse') }),
      },
      new Date('2026-12-01T13:05:09.000Z'),
    );
    expect(line).toBe(
      '13:05:09 ERROR loader load failed; retrying at the next tick lsn=0/16B3748 error: TypeError: bad <- caused by: Error: worse',
    );
  });

  it('reads level names case-insensitively and refuses unknown ones', () => {
    expect(parseLogLevel('warn')).toBe('WARN');
    expect(parseLogLevel(' Info ')).toBe('INFO');
    expect(parseLogLevel('verbose')).toBeUndefined();
  });
});
