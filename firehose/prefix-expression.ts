/**
 * @module
 * The S3 prefix expression language of Amazon Data Firehose (`!{namespace:value}`), parsed and validated at
 * configuration time and evaluated per delivered object, with the rules AWS applies to `Prefix` and
 * `ErrorOutputPrefix` (`firehose/README.md`, prefixes).
 */
import { randomBytes } from 'node:crypto';
import { FirehoseConfigError, PrefixEvaluationError } from './firehose-errors.ts';
import { compileTimestampFormat, formatTimestamp, type TimestampFormat } from './timestamp-format.ts';

/** One piece of a compiled prefix. */
export type PrefixPart =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'partitionKeyFromLambda'; readonly key: string }
  | { readonly kind: 'timestamp'; readonly format: TimestampFormat }
  | { readonly kind: 'errorOutputType' }
  | { readonly kind: 'randomString' };

/** A prefix expression, parsed once. */
export interface CompiledPrefix {
  readonly source: string;
  readonly parts: readonly PrefixPart[];
}

/** The values an evaluation draws from. */
export interface PrefixContext {
  /** `metadata.partitionKeys` of the records in the object (all equal by construction). */
  readonly partitionKeys?: Readonly<Record<string, string>>;
  /** Approximate arrival time of the oldest record in the object, epoch ms. */
  readonly arrivalMs: number;
  /** Only in the error prefix: `processing-failed`, `format-conversion-failed`, ... */
  readonly errorOutputType?: string;
}

/** The prefixes of one delivery stream, validated together. */
export interface S3Prefixes {
  readonly prefix: CompiledPrefix;
  readonly errorOutputPrefix: CompiledPrefix;
}

/** AWS's limit on an evaluated prefix. */
export const MAX_EVALUATED_PREFIX_CHARS = 512;

/** What Firehose appends to a `Prefix` without a timestamp expression (when dynamic partitioning is off). */
export const DEFAULT_TIMESTAMP_SUFFIX = '!{timestamp:yyyy/MM/dd/HH/}';

const RANDOM_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Parses one prefix expression; `where` names it in error messages. */
export function parsePrefix(source: string, where: string): CompiledPrefix {
  const parts: PrefixPart[] = [];
  let at = 0;
  while (at < source.length) {
    const open = source.indexOf('!{', at);
    if (open < 0) {
      parts.push({ kind: 'literal', text: source.slice(at) });
      break;
    }
    if (open > at) parts.push({ kind: 'literal', text: source.slice(at, open) });
    const close = source.indexOf('}', open);
    if (close < 0)
      throw new FirehoseConfigError(
        `${where} "${source}": "!{" at position ${open} starts an expression that is never closed with "}"; "!{" may appear only inside an expression.`,
      );
    parts.push(parseExpression(source.slice(open + 2, close), source, where));
    at = close + 1;
  }
  return { source, parts };
}

function parseExpression(body: string, source: string, where: string): PrefixPart {
  const colon = body.indexOf(':');
  const namespace = colon < 0 ? body : body.slice(0, colon);
  const value = colon < 0 ? '' : body.slice(colon + 1);
  switch (namespace) {
    case 'timestamp':
      return { kind: 'timestamp', format: compileTimestampFormat(value, `${where} "${source}"`) };
    case 'partitionKeyFromLambda':
      if (!/^[A-Za-z0-9_-]+$/.test(value))
        throw new FirehoseConfigError(
          `${where} "${source}": !{partitionKeyFromLambda:${value}} needs a key name of letters, digits, "_" or "-".`,
        );
      return { kind: 'partitionKeyFromLambda', key: value };
    case 'partitionKeyFromQuery':
      throw new FirehoseConfigError(
        `${where} "${source}": !{partitionKeyFromQuery:${value}} (inline jq parsing) is not supported by the local Firehose; return the key from the transformation Lambda and use !{partitionKeyFromLambda:${value}}.`,
      );
    case 'firehose':
      if (value === 'error-output-type') return { kind: 'errorOutputType' };
      if (value === 'random-string') return { kind: 'randomString' };
      throw new FirehoseConfigError(
        `${where} "${source}": !{firehose:${value}} is unknown; use !{firehose:error-output-type} or !{firehose:random-string}.`,
      );
    default:
      throw new FirehoseConfigError(
        `${where} "${source}": namespace "${namespace}" is unknown; valid namespaces are firehose, timestamp, partitionKeyFromQuery and partitionKeyFromLambda.`,
      );
  }
}

function hasExpressions(prefix: CompiledPrefix): boolean {
  return prefix.parts.some((part) => part.kind !== 'literal');
}

function has(prefix: CompiledPrefix, kind: PrefixPart['kind']): boolean {
  return prefix.parts.some((part) => part.kind === kind);
}

/**
 * Validates `Prefix` and `ErrorOutputPrefix` together as AWS does at `CreateDeliveryStream` and returns them
 * compiled. With dynamic partitioning off and no timestamp in `Prefix`, `!{timestamp:yyyy/MM/dd/HH/}` is
 * appended by plain concatenation. With dynamic partitioning on nothing is appended: the partition keys
 * shape the layout (that is how the lake gets `<table>/dt=<day>/` and nothing below it).
 * An unset `ErrorOutputPrefix` (allowed only when `Prefix` has no expressions) becomes
 * `<Prefix>!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/}`, following AWS's documented example.
 *
 * @throws FirehoseConfigError naming the rule that was broken.
 */
export function compileS3Prefixes(config: {
  readonly prefix?: string;
  readonly errorOutputPrefix?: string;
  readonly dynamicPartitioning: boolean;
}): S3Prefixes {
  const rawPrefix = config.prefix ?? '';
  const parsedPrefix = parsePrefix(rawPrefix, 'Prefix');
  if (has(parsedPrefix, 'errorOutputType'))
    throw new FirehoseConfigError(
      `Prefix "${rawPrefix}" must not contain !{firehose:error-output-type}; it belongs in ErrorOutputPrefix.`,
    );
  const usesKeys = has(parsedPrefix, 'partitionKeyFromLambda');
  if (usesKeys && !config.dynamicPartitioning)
    throw new FirehoseConfigError(
      `Prefix "${rawPrefix}": Dynamic Partitioning Namespaces can only be part of a prefix expression when Dynamic Partitioning is enabled.`,
    );
  if (config.dynamicPartitioning && (rawPrefix === '' || config.errorOutputPrefix === undefined))
    throw new FirehoseConfigError(
      'Dynamic partitioning needs a non-empty Prefix and an ErrorOutputPrefix; set both in the stream configuration.',
    );
  if (config.errorOutputPrefix === undefined && hasExpressions(parsedPrefix))
    throw new FirehoseConfigError(
      `Prefix "${rawPrefix}" uses expressions, so ErrorOutputPrefix must be set (with !{firehose:error-output-type}).`,
    );
  const rawError =
    config.errorOutputPrefix ?? `${rawPrefix}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/}`;
  const errorOutputPrefix = parsePrefix(rawError, 'ErrorOutputPrefix');
  if (has(errorOutputPrefix, 'partitionKeyFromLambda'))
    throw new FirehoseConfigError(
      `ErrorOutputPrefix "${rawError}" must not use partitionKeyFrom* expressions: failed records have no partition keys.`,
    );
  if (hasExpressions(errorOutputPrefix) && !has(errorOutputPrefix, 'errorOutputType'))
    throw new FirehoseConfigError(
      `ErrorOutputPrefix "${rawError}" uses expressions, so it must contain !{firehose:error-output-type} at least once.`,
    );
  const prefix =
    !config.dynamicPartitioning && !has(parsedPrefix, 'timestamp')
      ? parsePrefix(rawPrefix + DEFAULT_TIMESTAMP_SUFFIX, 'Prefix')
      : parsedPrefix;
  for (const [name, compiled] of [
    ['Prefix', prefix],
    ['ErrorOutputPrefix', errorOutputPrefix],
  ] as const) {
    if (compiled.source.length > 1024)
      throw new FirehoseConfigError(`${name} is ${compiled.source.length} characters; AWS allows 1024.`);
  }
  return { prefix, errorOutputPrefix };
}

/** The partition keys a prefix reads, in order of first use. */
export function partitionKeyNames(prefix: CompiledPrefix): string[] {
  const keys: string[] = [];
  for (const part of prefix.parts)
    if (part.kind === 'partitionKeyFromLambda' && !keys.includes(part.key)) keys.push(part.key);
  return keys;
}

/** 11 random letters and digits, as `!{firehose:random-string}` yields. */
export function randomString(): string {
  const bytes = randomBytes(11);
  let text = '';
  for (const byte of bytes) text += RANDOM_ALPHABET[byte % RANDOM_ALPHABET.length];
  return text;
}

/**
 * Evaluates a compiled prefix for one object.
 *
 * @throws PrefixEvaluationError when a partition key is missing or empty, or the result exceeds 512 chars;
 * the records then belong under the error prefix.
 */
export function evaluatePrefix(prefix: CompiledPrefix, context: PrefixContext): string {
  let out = '';
  for (const part of prefix.parts) {
    switch (part.kind) {
      case 'literal':
        out += part.text;
        break;
      case 'timestamp':
        out += formatTimestamp(part.format, context.arrivalMs);
        break;
      case 'randomString':
        out += randomString();
        break;
      case 'errorOutputType':
        if (context.errorOutputType === undefined)
          throw new PrefixEvaluationError(`Prefix "${prefix.source}" has no error-output-type to evaluate.`);
        out += context.errorOutputType;
        break;
      case 'partitionKeyFromLambda': {
        const value = context.partitionKeys?.[part.key];
        if (typeof value !== 'string' || value === '')
          throw new PrefixEvaluationError(
            `Prefix "${prefix.source}" needs partition key "${part.key}", which the transformation did not return in metadata.partitionKeys.`,
          );
        out += value;
        break;
      }
    }
  }
  if (out.length > MAX_EVALUATED_PREFIX_CHARS)
    throw new PrefixEvaluationError(
      `Prefix "${prefix.source}" evaluates to ${out.length} characters; AWS allows ${MAX_EVALUATED_PREFIX_CHARS}.`,
    );
  return out;
}
