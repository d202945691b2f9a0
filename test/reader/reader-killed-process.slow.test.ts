import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../core/change-event.ts';
import { runReader } from '../../reader/reader-loop.ts';
import { FileStateStore } from '../../reader/state/file-state-store.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import {
  asObject,
  eventsOf,
  insertCurrency,
  insertDepartments,
  memoryLog,
  replay,
  sourceState,
} from './reader-test-kit.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'crashing-reader.ts');

/** Runs the fixture reader and resolves with the signal that ended it. */
function runCrashingReader(args: Record<string, string>): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    // node --import tsx, not the tsx binary: the test must see the reader's own exit signal, not a wrapper's.
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', FIXTURE, JSON.stringify(args)],
      { timeout: 90_000 },
      (error, _out, stderr) => {
        if (error && !error.signal) console.error(stderr);
      },
    );
    child.on('exit', (_code, signal) => resolve(signal));
  });
}

async function acceptedEvents(file: string): Promise<ChangeEvent[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ChangeEvent);
}

describe('reader killed with SIGKILL', () => {
  let database: TestDatabase;
  let dir: string;
  beforeEach(async () => {
    database = await createSourceDatabase();
    dir = await mkdtemp(join(tmpdir(), 'reader-crash-'));
  });
  afterEach(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Restarts a reader in this process over the same state and returns all accepted events. */
  async function restart(eventsFile: string): Promise<ChangeEvent[]> {
    const stream = new MemoryChangeStream();
    await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore: new FileStateStore(join(dir, 'state')),
      stopAtLsn: 'current',
      log: memoryLog().log,
    });
    return [...(await acceptedEvents(eventsFile)), ...stream.events];
  }

  it('resumes a snapshot killed mid-table and rebuilds the source exactly', async () => {
    await withClient(database.url, async (client) => {
      for (let id = 1; id <= 5; id++) await insertCurrency(client, id, `C${id}`);
      await insertDepartments(client, 1, 5000);
    });
    const eventsFile = join(dir, 'events.jsonl');

    const signal = await runCrashingReader({
      url: database.url,
      slot: database.name,
      stateDir: join(dir, 'state'),
      eventsFile,
      crashAt: 'snapshot',
    });
    await withClient(database.url, (client) =>
      client.query('DELETE FROM department WHERE department_id > 4000'),
    );
    const events = await restart(eventsFile);

    expect(signal).toBe('SIGKILL');
    expect(eventsOf(events, 'currency', 'r')).toHaveLength(5);
    expect(asObject(replay(events))).toEqual(asObject(await sourceState(database.url)));
  });

  for (const crashAt of ['before-put', 'after-put'] as const) {
    it(`loses no change when killed ${crashAt === 'before-put' ? 'before the put' : 'after the put and before the acknowledgement'}`, async () => {
      // Prepare: the slot and snapshot exist; then changes wait in the slot.
      const eventsFile = join(dir, 'events.jsonl');
      await restart(eventsFile);
      await withClient(database.url, async (client) => {
        await insertDepartments(client, 1, 40);
        await client.query(`UPDATE department SET location = 'Bath' WHERE department_id <= 10`);
        await client.query('DELETE FROM department WHERE department_id > 35');
      });

      // Act
      const signal = await runCrashingReader({
        url: database.url,
        slot: database.name,
        stateDir: join(dir, 'state'),
        eventsFile,
        crashAt,
      });
      const events = await restart(eventsFile);

      // Assess: every change is there after dedupe; copies exist only when the put happened before the kill.
      expect(signal).toBe('SIGKILL');
      const inserts = eventsOf(events, 'department', 'c');
      expect(new Set(inserts.map((event) => event.seq)).size).toBe(40);
      expect(inserts.length).toBe(crashAt === 'after-put' ? 80 : 40);
      expect(asObject(replay(events))).toEqual(asObject(await sourceState(database.url)));
    });
  }
});
