import { describe, expect, it } from 'vitest';
import {
  conversionFailedDocument,
  ERROR_OUTPUT_TYPES,
  ErrorDocumentFormatError,
  errorObjectKey,
  errorObjectLocation,
  parseErrorDocuments,
  processingFailedDocument,
  readerFailedDocument,
} from '../../core/error-documents.ts';
import { LAKE_PREFIXES } from '../../core/lake-layout.ts';
import { LAKE_TABLES } from '../../core/schema/lake-tables.ts';

const record = {
  data: Buffer.from('{"table":"currency"}\n'),
  arrivalMs: Date.UTC(2026, 11, 1, 10),
  errorCode: 'Lambda.ProcessingFailedStatus',
  errorMessage: 'Column currency.created_at: not a timestamp',
  attemptsMade: 1,
};

describe('error documents', () => {
  it('reads back what each writer writes: code, reason, raw bytes, arrival, and the reader’s key and LSN', () => {
    const body = Buffer.from(
      [
        processingFailedDocument(record, 'arn:aws:lambda:eu-west-2:000000000000:function:t', 1),
        conversionFailedDocument(
          { ...record, errorCode: 'DataFormatConversion.Malformed' },
          LAKE_TABLES.dim_currency,
          'eu-west-2',
          2,
        ),
        readerFailedDocument(
          {
            key: { design_id: 7 },
            lsn: '0/1A2B3C',
            errorCode: 'Reader.RecordTooLarge',
            errorMessage: 'too big',
            seenMs: 5,
          },
          6,
        ),
        '',
      ].join('\n'),
    );
    const [processing, conversion, reader, ...more] = parseErrorDocuments(body);
    expect(more).toEqual([]);
    expect(processing).toMatchObject({
      errorCode: record.errorCode,
      errorMessage: record.errorMessage,
      arrivalMs: record.arrivalMs,
    });
    expect(Buffer.from(processing!.rawData!).toString()).toBe('{"table":"currency"}\n');
    expect(conversion).toMatchObject({
      errorCode: 'DataFormatConversion.Malformed',
      errorMessage: record.errorMessage,
    });
    expect(reader).toEqual({
      errorCode: 'Reader.RecordTooLarge',
      errorMessage: 'too big',
      rawData: undefined,
      arrivalMs: 5,
      key: { design_id: 7 },
      lsn: '0/1A2B3C',
    });
  });

  it('accepts the newer documentation’s ErrorCode/ErrorMessage spelling', () => {
    const [document] = parseErrorDocuments(
      Buffer.from('{"ErrorCode":"C","ErrorMessage":"M","rawData":"YQ=="}\n'),
    );
    expect(document).toMatchObject({ errorCode: 'C', errorMessage: 'M' });
    expect(Buffer.from(document!.rawData!).toString()).toBe('a');
  });

  it('names the line that is not a document', () => {
    expect(() => parseErrorDocuments(Buffer.from('{"errorCode":"C"}\nnot json\n'))).toThrow(
      new ErrorDocumentFormatError('Line 2 is not JSON.'),
    );
  });

  it('places an object by table, type and UTC day, and finds table and type again from its key', () => {
    const key = errorObjectKey(
      LAKE_PREFIXES.errors,
      'dim_design',
      ERROR_OUTPUT_TYPES.reader,
      Date.UTC(2026, 0, 2, 23),
      'x',
    );
    expect(key).toBe('errors/dim_design/reader-failed/2026/01/02/x');
    expect(errorObjectLocation(key, LAKE_PREFIXES.errors)).toEqual({
      table: 'dim_design',
      type: 'reader-failed',
    });
    expect(
      errorObjectLocation('errors/dim_design/unknown-type/2026/x', LAKE_PREFIXES.errors),
    ).toBeUndefined();
    expect(errorObjectLocation('dim_design/dt=2026-01-02/x.parquet', LAKE_PREFIXES.errors)).toBeUndefined();
  });
});
