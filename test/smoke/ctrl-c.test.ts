import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortOnCtrlC } from '../../smoke/ctrl-c.ts';

describe('Ctrl-C during npm run aws:smoke', () => {
  it('aborts the run at the first SIGINT, and at the next ones only says the clean-up goes on', () => {
    const terminal = new EventEmitter();
    const printed: string[] = [];
    const signal = abortOnCtrlC(terminal, (line) => printed.push(line));
    expect(signal.aborted).toBe(false);

    terminal.emit('SIGINT');
    expect(signal.aborted).toBe(true);
    expect(String(signal.reason)).toContain('Ctrl-C');
    expect(printed).toEqual([]);

    terminal.emit('SIGINT');
    expect(printed).toEqual(['Still cleaning up: the run ends once everything it created is deleted.']);
  });
});
