/**
 * The QueryEngine contract against the Athena adapter, over aws-sdk-client-mock answering as Athena documents
 * (test/aws/athena-service-fake.ts) on real Parquet lake files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { AthenaQueryEngine } from '../../lake/athena-query-engine.ts';
import { DuckDbQueryEngine } from '../../lake/duckdb-query-engine.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { describeQueryEngineContract } from '../lake/query-engine-contract.ts';
import { answerAsAthena } from './athena-service-fake.ts';

const athena = mockClient(AthenaClient);
const BUCKET = 'totesys-lake';

describeQueryEngineContract('AthenaQueryEngine', async () => {
  const lakeDir = await mkdtemp(join(tmpdir(), 'athena-contract-'));
  const evaluator = await DuckDbQueryEngine.open({ lakeDir, bucket: BUCKET });
  answerAsAthena(athena, evaluator);
  const engine = new AthenaQueryEngine({
    client: new AthenaClient({ region: 'eu-west-2' }),
    workGroup: 'totesys',
    // Each poll lets the event loop run once instead of waiting: the query ends when its evaluation does.
    sleep: () => new Promise((resolve) => setImmediate(resolve)),
  });
  return {
    engine,
    lake: new FsObjectStore(lakeDir, BUCKET),
    declaresFileFloor: false,
    dispose: async () => {
      await evaluator.close();
      await rm(lakeDir, { recursive: true, force: true });
    },
  };
});
