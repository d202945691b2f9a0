/**
 * @module
 * Change events and Firehose invocation events for the transformation tests: one real-looking row per source
 * table (the real-data vectors of the totesys dataset where known), and the event shapes of the AWS docs.
 */
import type { FirehoseTransformationEvent } from 'aws-lambda';
import type { RowImage, RowInsertEvent } from '../../core/change-event.ts';
import { SOURCE_TABLES, type SourceTableName } from '../../core/schema/source-tables.ts';

const CREATED = '2022-11-03 14:20:52.186';

/**
 * One row per source table. sales_order 1, staff 1, department 2, counterparty 1 and address 15 are rows of the
 * real dataset; payment 1 has its real dates, amount, type and paid flag (its other ids are made up); the rest
 * are made up in the dataset's shapes.
 */
export const SOURCE_ROWS: { readonly [T in SourceTableName]: RowImage } = {
  sales_order: {
    sales_order_id: 1,
    created_at: CREATED,
    last_updated: CREATED,
    design_id: 9,
    staff_id: 16,
    counterparty_id: 18,
    units_sold: 84754,
    unit_price: '2.43',
    currency_id: 3,
    agreed_delivery_date: '2022-11-10',
    agreed_payment_date: '2022-11-03',
    agreed_delivery_location_id: 4,
  },
  purchase_order: {
    purchase_order_id: 2,
    created_at: CREATED,
    last_updated: '2022-11-03 14:20:52.18',
    staff_id: 3,
    counterparty_id: 6,
    item_code: 'ZDOI5EA',
    item_quantity: 371,
    item_unit_price: '361.39',
    currency_id: 1,
    agreed_delivery_date: '2022-11-09',
    agreed_payment_date: '2022-11-07',
    agreed_delivery_location_id: 21,
  },
  payment: {
    payment_id: 1,
    created_at: CREATED,
    last_updated: '2022-11-07 07:55:11.885',
    transaction_id: 1,
    counterparty_id: 6,
    payment_amount: '56925.44',
    currency_id: 1,
    payment_type_id: 3,
    paid: true,
    payment_date: '2022-11-07',
    company_ac_number: 67305075,
    counterparty_ac_number: 31622269,
  },
  transaction: {
    transaction_id: 1,
    transaction_type: 'PURCHASE',
    sales_order_id: null,
    purchase_order_id: 2,
    created_at: CREATED,
    last_updated: CREATED,
  },
  address: {
    address_id: 15,
    address_line_1: '605 Haskell Trafficway',
    address_line_2: 'Axel Freeway',
    district: null,
    city: 'East Bobbie',
    postal_code: '88253-4257',
    country: 'Heard Island and McDonald Islands',
    phone: '9687 937447',
    created_at: '2022-11-03 14:20:49.962',
    last_updated: '2022-11-03 14:20:49.962',
  },
  design: {
    design_id: 8,
    created_at: '2022-11-03 14:20:49.962',
    design_name: 'Wooden',
    file_location: '/usr',
    file_name: 'wooden-20220717-npgz.json',
    last_updated: '2022-11-03 14:20:49.962',
  },
  payment_type: {
    payment_type_id: 3,
    payment_type_name: 'PURCHASE_PAYMENT',
    created_at: '2022-11-03 14:20:49.962',
    last_updated: '2022-11-03 14:20:49.962',
  },
  currency: {
    currency_id: 1,
    currency_code: 'GBP',
    created_at: '2022-11-03 14:20:49.962',
    last_updated: '2022-11-03 14:20:49.962',
  },
  staff: {
    staff_id: 1,
    first_name: 'Jeremie',
    last_name: 'Franey',
    department_id: 2,
    email_address: 'jeremie.franey@terrifictotes.com',
    created_at: '2022-11-03 14:20:51.563',
    last_updated: '2022-11-03 14:20:51.563',
  },
  counterparty: {
    counterparty_id: 1,
    counterparty_legal_name: 'Fahey and Sons',
    legal_address_id: 15,
    commercial_contact: 'Micheal Toy',
    delivery_contact: 'Mrs. Lucy Runolfsdottir',
    created_at: '2022-11-03 14:20:51.563',
    last_updated: '2022-11-03 14:20:51.563',
  },
  department: {
    department_id: 2,
    department_name: 'Purchasing',
    location: 'Manchester',
    manager: 'Naomi Lapaglia',
    created_at: '2022-11-03 14:20:49.962',
    last_updated: '2022-11-03 14:20:49.962',
  },
};

/** The commit time and LSN every fixture event carries unless overridden. */
export const COMMIT_TS = '2022-11-03T14:20:52.186Z';
export const LSN = '24969464';

/** An insert of `row` into `table`, with the key taken from the row. */
export function insertEvent(
  table: SourceTableName,
  row: RowImage = SOURCE_ROWS[table],
  seq = 0,
): RowInsertEvent {
  const primaryKey = SOURCE_TABLES[table].primaryKey;
  return {
    table,
    op: 'c',
    key: { [primaryKey]: row[primaryKey] ?? null },
    row,
    lsn: LSN,
    seq,
    xid: 901,
    commit_ts: COMMIT_TS,
  };
}

/** Newline-terminated JSON of each value, base64-encoded: one Firehose record's `data`. */
export function packed(...values: readonly unknown[]): string {
  return Buffer.from(values.map((v) => `${JSON.stringify(v)}\n`).join(''), 'utf8').toString('base64');
}

/** The lake rows in an output record's `data`. */
export function unpacked(data: string | undefined): Record<string, unknown>[] {
  const text = Buffer.from(data ?? '', 'base64').toString('utf8');
  expectNewlineTerminated(text);
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function expectNewlineTerminated(text: string): void {
  if (!text.endsWith('\n')) throw new Error('output data is not newline-terminated');
}

/** A Direct PUT invocation (the event Firehose sends a transformation Lambda): no `sourceKinesisStreamArn`, no `kinesisRecordMetadata`. */
export function directPutEvent(datas: readonly string[]): FirehoseTransformationEvent {
  return {
    invocationId: '2b4d1ad9-2f48-94bd-a088-767c317e994a',
    deliveryStreamArn: 'arn:aws:firehose:eu-west-2:123456789012:deliverystream/totesys-sales_order',
    region: 'eu-west-2',
    records: datas.map((data, index) => ({
      recordId: `4954698668313554428650745793632162567570019247115678515${index}`,
      approximateArrivalTimestamp: 1507217624302 + index,
      data,
    })),
  };
}

/**
 * A Kinesis-source invocation as it arrives on the wire. AWS's samples send `subsequenceNumber` as a number,
 * @types/aws-lambda declares a string: build it from JSON text so both can be tried.
 */
export function kinesisSourceEvent(
  datas: readonly string[],
  subsequenceNumber: number | string,
): FirehoseTransformationEvent {
  const wire = {
    invocationId: 'b9bc0f0d-0f1c-4d0b-9d4c-0e3c1e4f3a21',
    deliveryStreamArn: 'arn:aws:firehose:eu-west-2:123456789012:deliverystream/totesys-payment',
    sourceKinesisStreamArn: 'arn:aws:kinesis:eu-west-2:123456789012:stream/totesys-source',
    region: 'eu-west-2',
    records: datas.map((data, index) => ({
      recordId: `49546986683135544286507457936321625675700192471156785154${index}`,
      approximateArrivalTimestamp: 1507217624302,
      data,
      kinesisRecordMetadata: {
        shardId: 'shardId-000000000000',
        partitionKey: '4d1ad2b9-24f8-4b9d-a088-76e9947c317a',
        approximateArrivalTimestamp: 1507217624302,
        sequenceNumber: '49546986683135544286507457936321625675700192471156785154',
        subsequenceNumber,
      },
    })),
  };
  return JSON.parse(JSON.stringify(wire)) as FirehoseTransformationEvent;
}
