import { describe, expect, it } from 'vitest';
import { FirehoseConfigError, PrefixEvaluationError } from '../../firehose/firehose-errors.ts';
import { objectKey } from '../../firehose/object-key.ts';
import { compileS3Prefixes, evaluatePrefix, parsePrefix } from '../../firehose/prefix-expression.ts';

// 2026-07-13T14:05:09.123Z
const ARRIVAL = Date.UTC(2026, 6, 13, 14, 5, 9, 123);

function compile(
  prefix: string | undefined,
  errorOutputPrefix: string | undefined,
  dynamicPartitioning = false,
) {
  return compileS3Prefixes({
    ...(prefix === undefined ? {} : { prefix }),
    ...(errorOutputPrefix === undefined ? {} : { errorOutputPrefix }),
    dynamicPartitioning,
  });
}

describe('S3 prefix expressions', () => {
  it('evaluates the lake prefix from the Lambda partition key, adding nothing under dynamic partitioning', () => {
    const { prefix } = compile(
      'fact_sales_order/dt=!{partitionKeyFromLambda:dt}/',
      'errors/fact_sales_order/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
      true,
    );
    expect(evaluatePrefix(prefix, { partitionKeys: { dt: '2022-11-03' }, arrivalMs: ARRIVAL })).toBe(
      'fact_sales_order/dt=2022-11-03/',
    );
  });

  it('evaluates the error prefix with the error output type and the oldest arrival day in UTC', () => {
    const { errorOutputPrefix } = compile(
      'department/dt=!{partitionKeyFromLambda:dt}/',
      'errors/department/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
      true,
    );
    expect(
      evaluatePrefix(errorOutputPrefix, { arrivalMs: ARRIVAL, errorOutputType: 'processing-failed' }),
    ).toBe('errors/department/processing-failed/2026/07/13/');
  });

  it('formats Java DateTimeFormatter patterns with quoted literals, unpadded fields and the same instant', () => {
    const compiled = parsePrefix(
      "!{timestamp:'year='yyyy'/month='M'/day='d}/!{timestamp:HH:mm:ss}/''x",
      'Prefix',
    );
    expect(evaluatePrefix(compiled, { arrivalMs: ARRIVAL })).toBe("year=2026/month=7/day=13/14:05:09/''x");
    expect(evaluatePrefix(parsePrefix("!{timestamp:yy''MMdd}", 'Prefix'), { arrivalMs: ARRIVAL })).toBe(
      "26'0713",
    );
  });

  it('appends !{timestamp:yyyy/MM/dd/HH/} by plain concatenation when Prefix has no timestamp', () => {
    const { prefix, errorOutputPrefix } = compile('legacy', undefined);
    expect(evaluatePrefix(prefix, { arrivalMs: ARRIVAL })).toBe('legacy2026/07/13/14/');
    expect(
      evaluatePrefix(errorOutputPrefix, { arrivalMs: ARRIVAL, errorOutputType: 'processing-failed' }),
    ).toBe('legacyprocessing-failed/2026/07/13/');
    expect(
      evaluatePrefix(compile('t/!{timestamp:yyyy}/', 'e/!{firehose:error-output-type}').prefix, {
        arrivalMs: ARRIVAL,
      }),
    ).toBe('t/2026/');
  });

  it('gives 11 fresh random characters for every !{firehose:random-string}', () => {
    const compiled = parsePrefix('a/!{firehose:random-string}/!{firehose:random-string}/', 'Prefix');
    const [, first, second] = evaluatePrefix(compiled, { arrivalMs: ARRIVAL }).split('/');
    expect(first).toMatch(/^[A-Za-z0-9]{11}$/);
    expect(second).toMatch(/^[A-Za-z0-9]{11}$/);
    expect(first).not.toBe(second);
  });

  it.each([
    [
      'Prefix with error-output-type',
      'a/!{firehose:error-output-type}/',
      'e/!{firehose:error-output-type}/',
      false,
    ],
    ['error prefix with expressions but no error-output-type', 'a/', 'e/!{timestamp:yyyy}/', false],
    [
      'partition key in the error prefix',
      'a/!{partitionKeyFromLambda:dt}/',
      'e/!{firehose:error-output-type}/!{partitionKeyFromLambda:dt}/',
      true,
    ],
    [
      'partition key without dynamic partitioning',
      'a/!{partitionKeyFromLambda:dt}/',
      'e/!{firehose:error-output-type}/',
      false,
    ],
    ['dynamic partitioning without an error prefix', 'a/!{partitionKeyFromLambda:dt}/', undefined, true],
    ['dynamic partitioning with an empty Prefix', '', 'e/!{firehose:error-output-type}/', true],
    ['expressions in Prefix and no error prefix', 'a/!{timestamp:yyyy}/', undefined, false],
    [
      'partitionKeyFromQuery (jq), unsupported locally',
      'a/!{partitionKeyFromQuery:dt}/',
      'e/!{firehose:error-output-type}/',
      true,
    ],
    ['an unclosed "!{"', 'a/!{timestamp:yyyy', 'e/!{firehose:error-output-type}/', false],
    ['an unknown namespace', 'a/!{kinesis:shard}/', 'e/!{firehose:error-output-type}/', false],
    ['an unknown firehose value', 'a/!{firehose:stream-name}/', 'e/!{firehose:error-output-type}/', false],
    ['an unsupported pattern letter', 'a/!{timestamp:EEE}/', 'e/!{firehose:error-output-type}/', false],
    ['an unterminated quoted literal', "a/!{timestamp:'yyyy}/", 'e/!{firehose:error-output-type}/', false],
  ])('refuses %s at configuration time', (_, prefix, errorOutputPrefix, dynamicPartitioning) => {
    expect(() => compile(prefix, errorOutputPrefix, dynamicPartitioning)).toThrow(FirehoseConfigError);
  });

  it('explains that partitionKeyFromQuery must become partitionKeyFromLambda locally', () => {
    expect(() => compile('a/!{partitionKeyFromQuery:dt}/', 'e/!{firehose:error-output-type}/', true)).toThrow(
      /not supported by the local Firehose.*partitionKeyFromLambda:dt/,
    );
  });

  it('fails evaluation for a missing or empty partition key and for a prefix over 512 characters', () => {
    const { prefix } = compile(
      't/dt=!{partitionKeyFromLambda:dt}/',
      'e/!{firehose:error-output-type}/',
      true,
    );
    expect(() => evaluatePrefix(prefix, { partitionKeys: {}, arrivalMs: ARRIVAL })).toThrow(
      PrefixEvaluationError,
    );
    expect(() => evaluatePrefix(prefix, { partitionKeys: { dt: '' }, arrivalMs: ARRIVAL })).toThrow(
      /partition key "dt"/,
    );
    expect(() =>
      evaluatePrefix(prefix, { partitionKeys: { dt: 'x'.repeat(510) }, arrivalMs: ARRIVAL }),
    ).toThrow(/512/);
  });

  it('names objects <prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension> from the oldest arrival', () => {
    expect(objectKey('t/dt=2022-11-03/', 'totesys-currency', 1, ARRIVAL, '.parquet')).toMatch(
      /^t\/dt=2022-11-03\/totesys-currency-1-2026-07-13-14-05-09-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.parquet$/,
    );
  });
});
