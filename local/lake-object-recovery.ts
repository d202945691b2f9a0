/**
 * @module
 * What the local pipeline does when a lake read fails on one object (lake/unreadable-objects.ts): move it to
 * `quarantine/`, ask the reader to re-read the source table that fed it (the resnapshot mechanism: the re-read
 * rows are newer than anything the object held, so the warehouse ends up with the source's current rows), say
 * so once, loudly, and let the loader go on.
 */
import type { Log } from '../core/ports/log.ts';
import type { StateStore } from '../core/ports/state-store.ts';
import { LAKE_TABLES } from '../core/schema/lake-tables.ts';
import type { FsObjectStore } from '../lake/fs-object-store.ts';
import { type QuarantineNote, quarantineObject, unreadableObjectIn } from '../lake/unreadable-objects.ts';
import { requestResnapshot } from '../reader/resnapshot-requests.ts';

/** Quarantines the lake objects failed reads name; see the module comment. */
export class LakeObjectRecovery {
  readonly #store: FsObjectStore;
  readonly #state: StateStore;
  readonly #log: Log | undefined;
  readonly #quarantined: QuarantineNote[] = [];

  constructor(options: {
    readonly store: FsObjectStore;
    readonly stateStore: StateStore;
    readonly log?: Log;
  }) {
    this.#store = options.store;
    this.#state = options.stateStore;
    this.#log = options.log;
  }

  /** Objects this process quarantined. */
  get quarantined(): readonly QuarantineNote[] {
    return this.#quarantined;
  }

  /**
   * When `error` names a lake object that cannot be read: quarantines it, requests the re-read of its source
   * table and returns true (the caller tries again at once). False for any other failure.
   */
  async recover(error: unknown): Promise<boolean> {
    const object = unreadableObjectIn(error, this.#store.root);
    // The same object twice means moving it aside did not help: not this module's failure to handle.
    if (object === undefined || this.#quarantined.some((done) => done.key === object.key)) return false;
    const note = await quarantineObject(this.#store, object);
    const source = LAKE_TABLES[object.table].source;
    await requestResnapshot(this.#state, [source]);
    this.#quarantined.push(note);
    this.#log?.error(
      `a lake object could not be read (${object.kind}); it was moved to quarantine/ and table ${source} is re-read from the source`,
      { stage: 'loader', table: object.table, object: object.key, reason: object.reason },
    );
    return true;
  }
}
