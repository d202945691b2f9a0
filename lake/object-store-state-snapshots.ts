/**
 * @module
 * The StateSnapshots port over the lake's ObjectStore: `snapshots/<lake table>/current.json` names the
 * current snapshot's folder and objects (core/lake-layout.ts). Compaction publishes it; the loader, the
 * DuckDB catalog and the Athena views read it.
 */
import { snapshotManifestKey } from '../core/lake-layout.ts';
import type { ObjectStore } from '../core/ports/object-store.ts';
import type { StateSnapshotManifest, StateSnapshots } from '../core/ports/state-snapshots.ts';
import type { LakeTableName } from '../core/schema/lake-tables.ts';

/** A manifest that cannot be read back: names the key and what to do. */
export class StateSnapshotError extends Error {
  override readonly name = 'StateSnapshotError';
}

/** {@link StateSnapshots} over an ObjectStore. */
export class ObjectStoreStateSnapshots implements StateSnapshots {
  readonly #store: ObjectStore;

  constructor(store: ObjectStore) {
    this.#store = store;
  }

  async current(table: LakeTableName): Promise<StateSnapshotManifest | undefined> {
    const key = snapshotManifestKey(table);
    const body = await this.#store.get(key);
    if (body === undefined) return undefined;
    try {
      return JSON.parse(new TextDecoder().decode(body)) as StateSnapshotManifest;
    } catch (error) {
      throw new StateSnapshotError(
        `The state snapshot manifest ${key} is not valid JSON. Compaction writes it whole, so it was changed ` +
          'by hand: delete it, and the next compaction takes a new snapshot from the whole history.',
        { cause: error },
      );
    }
  }

  /** Publishes `manifest` as the table's current snapshot (every object it names must be durable). */
  async publish(manifest: StateSnapshotManifest): Promise<void> {
    await this.#store.put(
      snapshotManifestKey(manifest.table),
      new TextEncoder().encode(`${JSON.stringify(manifest)}\n`),
    );
  }
}
