import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ENV } from '../../core/operations.ts';
import { createHandler, SmokeProbeError } from '../../functions/smoke-probe/handler.ts';

const secrets = mockClient(SecretsManagerClient);
const ENVIRONMENT = {
  [ENV.sourceSecretArn]: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:source-AbCdEf',
  [ENV.warehouseSecretArn]: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:warehouse-AbCdEf',
};

beforeEach(() => {
  secrets.reset();
});

describe('the smoke probe handler', () => {
  it('refuses a payload it does not know before reading any secret, saying what to send', async () => {
    const handler = createHandler({ env: ENVIRONMENT, secrets: new SecretsManagerClient({}) });
    await expect(handler({ action: 'drop', table: 'payment' })).rejects.toThrow(SmokeProbeError);
    await expect(handler({ action: 'change' })).rejects.toThrow(
      /Send \{"action":"change","marker":"<text>"\} or \{"action":"inspect","changes":\[…\]\}: marker: /,
    );
    expect(secrets.calls()).toEqual([]);
  });

  it('names the variable it misses before reading any secret', async () => {
    const handler = createHandler({
      env: { [ENV.sourceSecretArn]: ENVIRONMENT[ENV.sourceSecretArn] },
      secrets: new SecretsManagerClient({}),
    });
    await expect(handler({ action: 'inspect', changes: [] })).rejects.toThrow(ENV.warehouseSecretArn);
    expect(secrets.calls()).toEqual([]);
  });
});
