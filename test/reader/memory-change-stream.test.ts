import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { describeChangeStreamContract } from './change-stream-contract.ts';

describeChangeStreamContract('MemoryChangeStream', async () => {
  let refusing = false;
  const stream = new MemoryChangeStream({
    beforePut: () => {
      if (refusing) throw new Error('refused (test switch)');
    },
  });
  return {
    stream,
    refusePuts(on) {
      refusing = on;
    },
    acceptedAfterRestart: async () => stream.events.map((event) => ({ stream: event.table, event })),
    dispose: async () => undefined,
  };
});
