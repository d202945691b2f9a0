import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { describeChangeStreamContract, StoreGate } from './change-stream-contract.ts';

describeChangeStreamContract('MemoryChangeStream', async () => {
  let refusing = false;
  const gate = new StoreGate();
  const stream = new MemoryChangeStream({
    beforePut: async () => {
      await gate.pass();
      if (refusing) throw new Error('refused (test switch)');
    },
  });
  return {
    stream,
    gate,
    refusePuts(on) {
      refusing = on;
    },
    acceptedAfterRestart: async () => stream.events.map((event) => ({ stream: event.table, event })),
    dispose: async () => undefined,
  };
});
