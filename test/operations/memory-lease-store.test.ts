import { MemoryLeaseStore } from '../../testing/memory-lease-store.ts';
import { describeLeaseStoreContract } from './lease-store-contract.ts';

// One backing Map per clock, shared by every store opened on it (as one bucket is by two containers).
const stores = new WeakMap<() => Date, MemoryLeaseStore>();

describeLeaseStoreContract('memory double', (clock) => {
  let store = stores.get(clock);
  if (!store) {
    store = new MemoryLeaseStore(clock);
    stores.set(clock, store);
  }
  return store;
});
