import { appendFile, mkdir, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalFirehose } from '../../firehose/local-firehose.ts';
import { describeSpoolDamage } from '../../firehose/local-firehose.ts';
import { type QuarantinedBytes, quarantinedSpoolFiles, Spool } from '../../firehose/spool.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import {
  currencyEvent,
  MemoryObjectStore,
  NEVER,
  openFirehose,
  pack,
  readParquet,
  streamConfig,
  tempDir,
  waitFor,
} from './firehose-fixtures.ts';

const STREAM = 'totesys-currency';
const COMMIT = '2022-11-03T14:20:49.962Z';

describe('the local Firehose spool', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: MemoryObjectStore;
  const opened: LocalFirehose[] = [];

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    store = new MemoryObjectStore();
  });

  afterEach(async () => {
    for (const firehose of opened.splice(0)) await firehose.close({ deliver: false });
    await cleanup();
  });

  async function open(overrides = {}, options = {}) {
    const firehose = await openFirehose(
      join(dir, 'spool'),
      [streamConfig(store, 'currency', overrides)],
      options,
    );
    opened.push(firehose);
    return firehose;
  }

  async function put(firehose: LocalFirehose, ids: readonly number[]) {
    const output = await firehose.putRecordBatch({
      DeliveryStreamName: STREAM,
      Records: ids.map((id) => ({ Data: pack([currencyEvent(id, 'GBP', COMMIT)]) })),
    });
    expect(output.FailedPutCount).toBe(0);
  }

  async function deliveredIds(): Promise<number[]> {
    const rows = (
      await Promise.all(store.keys('dim_currency/').map((key) => readParquet(store.objects.get(key)!)))
    ).flat();
    return rows.map((row) => Number(row.currency_id)).sort((a, b) => a - b);
  }

  const segments = async () =>
    (await readdir(join(dir, 'spool', STREAM))).filter((name) => name.endsWith('.seg'));

  it('loses nothing when the process dies after accepting and before delivering', async () => {
    const lake = new FsObjectStore(join(dir, 'lake'), 'bucket');
    const crashed = await open({ store: lake, processorBuffering: NEVER, bufferingHints: NEVER });
    await put(crashed, [1, 2, 3]);
    await put(crashed, [4]);
    // The crash: the first instance is abandoned as it is, nothing flushed or closed.
    expect(await lake.list('')).toEqual([]);
    const restarted = await open({ store: lake, processorBuffering: NEVER, bufferingHints: NEVER });
    await restarted.flush();
    const objects = await lake.list('dim_currency/dt=2022-11-03/');
    expect(objects).toHaveLength(1);
    const rows = await readParquet((await lake.get(objects[0]!.key))!);
    expect(rows.map((row) => row.currency_id).sort()).toEqual([1, 2, 3, 4]);
    expect(await segments()).toEqual([]);
  });

  it('recovers every record of many concurrent calls that shared group-committed writes', async () => {
    const crashed = await open(
      { processorBuffering: NEVER, bufferingHints: NEVER },
      { spoolSegmentBytes: 2000 },
    );
    await Promise.all(Array.from({ length: 20 }, (_, call) => put(crashed, [call * 2 + 1, call * 2 + 2])));
    const restarted = await open({ processorBuffering: NEVER, bufferingHints: NEVER });
    await restarted.flush();
    expect(await deliveredIds()).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(restarted.metrics()[0]).toMatchObject({ deliveredRecords: 40, backlogBytes: 0 });
  });

  it('delivers recovered records on its own timer after a restart', async () => {
    const crashed = await open({ processorBuffering: NEVER, bufferingHints: NEVER });
    await put(crashed, [1, 2]);
    await open({
      processorBuffering: { sizeInMBs: 1, intervalInSeconds: 0 },
      bufferingHints: { sizeInMBs: 1, intervalInSeconds: 0 },
    });
    await waitFor('recovered records to be delivered', async () => (await deliveredIds()).length === 2);
    expect(await deliveredIds()).toEqual([1, 2]);
  });

  it('keeps records whose delivery failed in the spool for the next start', async () => {
    const first = await open({ processorBuffering: NEVER, bufferingHints: NEVER });
    await put(first, [1, 2]);
    store.failPuts = true;
    await expect(first.close()).rejects.toThrow(/injected put failure/);
    store.failPuts = false;
    expect(store.keys()).toEqual([]);
    expect((await segments()).length).toBeGreaterThan(0);
    const second = await open({ processorBuffering: NEVER, bufferingHints: NEVER });
    await second.close();
    expect(await deliveredIds()).toEqual([1, 2]);
    expect(await segments()).toEqual([]);
  });

  it('close({ deliver: false }) stops at once and leaves the records to the next start', async () => {
    const first = await open({ processorBuffering: NEVER, bufferingHints: NEVER });
    await put(first, [8]);
    await first.close({ deliver: false });
    expect(store.keys()).toEqual([]);
    const second = await open({ processorBuffering: NEVER, bufferingHints: NEVER });
    await second.flush();
    expect(await deliveredIds()).toEqual([8]);
  });

  it('stays bounded: rotates segments and deletes each once all its records are delivered', async () => {
    const firehose = await open(
      { processorBuffering: NEVER, bufferingHints: NEVER },
      { spoolSegmentBytes: 1000 },
    );
    for (let call = 0; call < 10; call++) await put(firehose, [call * 3 + 1, call * 3 + 2, call * 3 + 3]);
    expect((await segments()).length).toBeGreaterThanOrEqual(5);
    await firehose.flush();
    // Only the active segment may remain, and it holds nothing undelivered.
    const left = await segments();
    expect(left.length).toBeLessThanOrEqual(1);
    expect(await deliveredIds()).toHaveLength(30);
    await firehose.close();
    expect(await segments()).toEqual([]);
  });

  it('cuts off a torn tail left by a crash in the middle of a write, silently, and keeps every whole record', async () => {
    const { spool } = await Spool.open(join(dir, 'raw'), 1 << 20);
    const { segment, stored } = await spool.append(
      [Buffer.from('first'), Buffer.from('second')],
      1_700_000_000_000,
    );
    expect(stored.map((view) => Buffer.from(view).toString())).toEqual(['first', 'second']);
    await spool.append([Buffer.from('x'.repeat(500))], 1_700_000_000_001);
    await spool.close();
    const path = join(dir, 'raw', (await readdir(join(dir, 'raw')))[0]!);
    expect(segment.pending).toBe(3);
    // The last write got only part of its frame onto the disk: its header and a few payload bytes.
    await truncate(path, (await stat(path)).size - 450);
    const reopened = await Spool.open(join(dir, 'raw'), 1 << 20);
    expect(reopened.recovered.map((record) => Buffer.from(record.data).toString())).toEqual([
      'first',
      'second',
    ]);
    expect(reopened.recovered[0]!.arrivalMs).toBe(1_700_000_000_000);
    expect(reopened.quarantined).toEqual([]);
    await reopened.spool.close();
    // A tail shorter than a frame header, or zeros the file system allocated, is torn too.
    for (const cut of [40, 12]) {
      await truncate(path, (await stat(path)).size - cut);
      await appendFile(path, Buffer.alloc(cut > 20 ? 30 : 0));
      const again = await Spool.open(join(dir, 'raw'), 1 << 20);
      expect(again.recovered.length).toBeLessThanOrEqual(2);
      expect(again.quarantined).toEqual([]);
      await again.spool.close();
    }
    expect((await readdir(join(dir, 'raw'))).filter((name) => name.endsWith('.corrupt'))).toEqual([]);
  });

  it('resynchronises past garbage in the middle of a segment: delivers every later record and quarantines the garbage loudly', async () => {
    const crashed = await open({ processorBuffering: NEVER, bufferingHints: NEVER });
    await put(crashed, [1, 2, 3]);
    const [segment] = await segments();
    const path = join(dir, 'spool', STREAM, segment!);
    const garbage = Buffer.from('\u0000\u0007garbage that is no frame at all '.repeat(8));
    await appendFile(path, garbage);
    const offset = (await stat(path)).size - garbage.length;
    // Records accepted (acknowledged to the reader) after the damage, in the same segment.
    await put(crashed, [4, 5]);
    await put(crashed, [6]);
    const damage: (QuarantinedBytes & { stream: string })[] = [];
    const restarted = await open(
      { processorBuffering: NEVER, bufferingHints: NEVER },
      { onSpoolDamage: (stream: string, found: QuarantinedBytes) => damage.push({ stream, ...found }) },
    );
    await restarted.flush();

    expect(await deliveredIds()).toEqual([1, 2, 3, 4, 5, 6]);
    const quarantine = `${path}.${offset}.corrupt`;
    expect(damage).toEqual([
      { stream: STREAM, path: quarantine, segmentPath: path, offset, bytes: garbage.length },
    ]);
    expect(await readFile(quarantine)).toEqual(garbage);
    expect(describeSpoolDamage(damage[0]!)).toContain(quarantine);
    expect(await quarantinedSpoolFiles(join(dir, 'spool'))).toEqual([quarantine]);
  });

  it('keeps the records on both sides of a frame damaged in place', async () => {
    const { spool } = await Spool.open(join(dir, 'raw'), 1 << 20);
    for (const text of ['one', 'two', 'three']) await spool.append([Buffer.from(text.repeat(20))], 1);
    await spool.close();
    const path = join(dir, 'raw', (await readdir(join(dir, 'raw')))[0]!);
    const file = await readFile(path);
    // A flipped byte in the second frame's payload.
    const second = file.indexOf('two');
    file[second + 5] = file[second + 5]! ^ 0xff;
    await writeFile(path, file);

    const reopened = await Spool.open(join(dir, 'raw'), 1 << 20);

    expect(reopened.recovered.map((record) => Buffer.from(record.data).toString())).toEqual([
      'one'.repeat(20),
      'three'.repeat(20),
    ]);
    expect(reopened.quarantined).toHaveLength(1);
    expect(reopened.quarantined[0]!.bytes).toBe(24 + 60);
    await reopened.spool.close();
  });

  it('drains a segment written in the format before frame markers (upgrade)', async () => {
    const streamDir = join(dir, 'spool', STREAM);
    await mkdir(streamDir, { recursive: true });
    const legacy = [1, 2].map((id) => {
      const payload = pack([currencyEvent(id, 'GBP', COMMIT)]);
      const header = Buffer.alloc(16);
      header.writeUInt32LE(payload.length, 0);
      header.writeUInt32LE(crc32(payload), 4);
      header.writeDoubleLE(1_700_000_000_000, 8);
      return Buffer.concat([header, payload]);
    });
    await writeFile(join(streamDir, '000000000007.seg'), Buffer.concat(legacy));

    const upgraded = await open({ processorBuffering: NEVER, bufferingHints: NEVER });
    await put(upgraded, [3]);
    await upgraded.flush();

    expect(await deliveredIds()).toEqual([1, 2, 3]);
    // The old segment is gone once delivered; new records went to a new-format one.
    expect(await segments()).not.toContain('000000000007.seg');
  });
});
