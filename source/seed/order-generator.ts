/**
 * @module
 * The growing tables of a seeded source (design, sales_order, purchase_order, transaction, payment), generated
 * day by day and streamed: at `--scale 100` there are millions of rows, and none are kept in memory.
 *
 * How the live totesys data behaves, which this reproduces:
 * - weekday orders between 08:00 and 18:59 (ms precision), about 2.3 sales per purchase;
 * - every order creates exactly one transaction and one payment in the same transaction (same created_at),
 *   with the order's counterparty, currency and agreed payment date, amount = quantity x price (2 dp),
 *   payment type 1 for sales and 3 for purchases;
 * - about 60% of payments turned paid by a daily batch at about 07:55:11, on or after the payment date;
 * - designs grow over time, and an order only uses designs that exist when it is created.
 *
 * Every random draw happens whether or not the caller wants that table's rows, so generating one table at a
 * time gives the same rows as generating all of them: the loader makes one pass per table.
 */
import type { SourceTableName } from '../../core/schema/source-tables.ts';
import {
  ADDRESS_COUNT,
  COUNTERPARTY_COUNT,
  REFERENCE_CREATED_AT,
  type SeedRow,
  STAFF_COUNT,
} from './reference-data.ts';
import {
  compactDateText,
  DAY_MS,
  dateText,
  FIRST_DAY,
  HOUR_MS,
  LAST_DAY,
  timestampText,
  weekdaysBetween,
} from './seed-calendar.ts';
import { SeededRandom } from './seeded-random.ts';

/** Feb-2024 sizes: what `--scale 1` produces. */
export const SCALE_ONE = { salesOrders: 6941, purchaseOrders: 2958, designs: 324 } as const;

/** The 12 material words of design names. */
export const DESIGN_MATERIALS = [
  'Steel',
  'Soft',
  'Granite',
  'Concrete',
  'Frozen',
  'Bronze',
  'Plastic',
  'Cotton',
  'Metal',
  'Fresh',
  'Wooden',
  'Rubber',
] as const;

const FILE_LOCATIONS = [
  '/usr',
  '/private',
  '/private/var',
  '/usr/local/src',
  '/usr/share',
  '/System',
  '/Users',
  '/home/user/dir',
  '/opt/include',
  '/etc/periodic',
  '/lost+found',
  '/usr/ports',
  '/Network',
  '/root',
  '/var/log',
  '/Library',
  '/Applications',
  '/mnt',
  '/srv',
  '/var/mail',
];

/** Share of payments that a daily batch turns paid. */
const PAID_SHARE = 0.62;
/** Share of designs that exist before the first order. */
const INITIAL_DESIGN_SHARE = 0.05;
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const DIGITS = '0123456789';

/** The sizes one scale produces (exact). */
export function seedSizes(scale: number): { salesOrders: number; purchaseOrders: number; designs: number } {
  return {
    salesOrders: Math.max(1, Math.round(SCALE_ONE.salesOrders * scale)),
    purchaseOrders: Math.max(1, Math.round(SCALE_ONE.purchaseOrders * scale)),
    designs: Math.max(DESIGN_MATERIALS.length, Math.round(SCALE_ONE.designs * scale)),
  };
}

/** The time of the daily "payments paid" batch: 07:55:11 plus milliseconds that depend only on the day. */
export function paidBatchTime(day: number, seed: number): number {
  const ms = (Math.imul(day ^ seed, 2_654_435_761) >>> 0) % 1000;
  return day * DAY_MS + 7 * HOUR_MS + 55 * 60_000 + 11_000 + ms;
}

type OrderTable = Extract<
  SourceTableName,
  'design' | 'sales_order' | 'purchase_order' | 'transaction' | 'payment'
>;

/** Rows of one growing table, in id order. */
export function* generateOrderRows(table: OrderTable, scale: number, seed: number): Generator<SeedRow> {
  const random = new SeededRandom(seed ^ 0x0bd3_5eed);
  const sizes = seedSizes(scale);
  const days = weekdaysBetween(FIRST_DAY, LAST_DAY);
  const endMs = (LAST_DAY + 1) * DAY_MS;
  const initialDesigns = Math.max(DESIGN_MATERIALS.length, Math.round(sizes.designs * INITIAL_DESIGN_SHARE));
  const sales = spread(sizes.salesOrders, days.length, random);
  const purchases = spread(sizes.purchaseOrders, days.length, random);
  const designs = spread(sizes.designs - initialDesigns, days.length, random);

  let designId = 0;
  const newDesign = (createdMs: number): SeedRow | undefined => {
    designId++;
    const material = random.pick(DESIGN_MATERIALS);
    const location = random.pick(FILE_LOCATIONS);
    // The file name carries a date within the year before the design was created.
    const fileDay = Math.floor(createdMs / DAY_MS) - random.int(1, 365);
    const suffix = random.chars(4, LOWER_ALNUM);
    if (table !== 'design') return undefined;
    const at = timestampText(createdMs);
    return {
      design_id: String(designId),
      created_at: at,
      design_name: material,
      file_location: location,
      file_name: `${material.toLowerCase()}-${compactDateText(fileDay)}-${suffix}.json`,
      last_updated: at,
    };
  };
  const referenceMs = Date.parse(`${REFERENCE_CREATED_AT.replace(' ', 'T')}Z`);
  for (let i = 0; i < initialDesigns; i++) {
    const row = newDesign(referenceMs);
    if (row) yield row;
  }

  let salesId = 0;
  let purchaseId = 0;
  let transactionId = 0;
  for (const [index, day] of days.entries()) {
    const kinds = random.shuffle([
      ...Array<'s'>(sales[index] ?? 0).fill('s'),
      ...Array<'p'>(purchases[index] ?? 0).fill('p'),
      ...Array<'d'>(designs[index] ?? 0).fill('d'),
    ]);
    // Business hours 08:00:00.000 to 18:59:59.999, sorted so ids grow with created_at as in the live data.
    // On the first day, activity starts just after the reference data was created (as in the live data).
    const opens = index === 0 ? referenceMs + 2_000 : day * DAY_MS + 8 * HOUR_MS;
    const closes = day * DAY_MS + 19 * HOUR_MS;
    const times = kinds.map(() => opens + random.int(0, closes - opens - 1)).sort((a, b) => a - b);
    for (const [k, kind] of kinds.entries()) {
      const createdMs = times[k] as number;
      if (kind === 'd') {
        const row = newDesign(createdMs);
        if (row) yield row;
        continue;
      }
      const isSale = kind === 's';
      const orderId = isSale ? ++salesId : ++purchaseId;
      transactionId++;
      const staffId = random.int(1, STAFF_COUNT);
      const counterpartyId = random.int(1, COUNTERPARTY_COUNT);
      const currencyId = random.int(1, 3);
      const locationId = random.int(1, ADDRESS_COUNT);
      const quantity = isSale ? random.int(1000, 100_000) : random.int(1, 999);
      const priceCents = isSale ? random.int(200, 400) : random.int(333, 99_866);
      const paymentDay = day + random.int(0, 6);
      // Delivery: usually within a week, sometimes over a year ahead (up to 380/428 days in the live data).
      const deliveryDay = day + (random.chance(0.03) ? random.int(30, isSale ? 380 : 428) : random.int(1, 7));
      const designRef = isSale ? random.int(1, designId) : 0;
      const itemCode = isSale ? '' : random.chars(7, UPPER_ALNUM);
      const companyAc = random.chars(8, DIGITS).replace(/^0/, '1');
      const counterpartyAc = random.chars(8, DIGITS).replace(/^0/, '1');
      const turnsPaid = random.chance(PAID_SHARE);
      const paidDelay = random.int(0, 3);
      if (table === 'sales_order' || table === 'purchase_order') {
        if ((table === 'sales_order') !== isSale) continue;
        const at = timestampText(createdMs);
        const common = {
          staff_id: String(staffId),
          counterparty_id: String(counterpartyId),
          currency_id: String(currencyId),
          agreed_delivery_date: dateText(deliveryDay),
          agreed_payment_date: dateText(paymentDay),
          agreed_delivery_location_id: String(locationId),
        };
        yield isSale
          ? {
              sales_order_id: String(orderId),
              created_at: at,
              last_updated: at,
              design_id: String(designRef),
              units_sold: String(quantity),
              unit_price: centsText(priceCents),
              ...common,
            }
          : {
              purchase_order_id: String(orderId),
              created_at: at,
              last_updated: at,
              item_code: itemCode,
              item_quantity: String(quantity),
              item_unit_price: centsText(priceCents),
              ...common,
            };
      } else if (table === 'transaction') {
        const at = timestampText(createdMs);
        yield {
          transaction_id: String(transactionId),
          transaction_type: isSale ? 'SALE' : 'PURCHASE',
          sales_order_id: isSale ? String(orderId) : null,
          purchase_order_id: isSale ? null : String(orderId),
          created_at: at,
          last_updated: at,
        };
      } else if (table === 'payment') {
        const paidMs = paidBatchTime(Math.max(paymentDay, day + 1) + paidDelay, seed);
        const paid = turnsPaid && paidMs < endMs;
        yield {
          payment_id: String(transactionId),
          created_at: timestampText(createdMs),
          last_updated: timestampText(paid ? paidMs : createdMs),
          transaction_id: String(transactionId),
          counterparty_id: String(counterpartyId),
          // quantity x price in integer cents: exact, so no rounding drift.
          payment_amount: centsText(quantity * priceCents),
          currency_id: String(currencyId),
          payment_type_id: isSale ? '1' : '3',
          paid: paid ? 't' : 'f',
          payment_date: dateText(paymentDay),
          company_ac_number: companyAc,
          counterparty_ac_number: counterpartyAc,
        };
      }
    }
  }
}

/** Splits `total` over `slots` with random weights (0.5x to 1.5x the mean); the parts sum to `total` exactly. */
function spread(total: number, slots: number, random: SeededRandom): number[] {
  const weights = Array.from({ length: slots }, () => 0.5 + random.next());
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts: number[] = [];
  let cumulative = 0;
  let assigned = 0;
  for (const weight of weights) {
    cumulative += weight;
    const upTo = Math.round((total * cumulative) / sum);
    counts.push(upTo - assigned);
    assigned = upTo;
  }
  return counts;
}

function centsText(cents: number): string {
  const whole = Math.floor(cents / 100);
  const rest = cents % 100;
  return `${whole}.${rest < 10 ? '0' : ''}${rest}`;
}
