import { MemoryObjectStore } from '../../testing/memory-object-store.ts';
import { describeObjectStoreContract } from './object-store-contract.ts';

describeObjectStoreContract('MemoryObjectStore', async () => new MemoryObjectStore());
