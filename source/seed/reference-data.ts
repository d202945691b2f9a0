/**
 * @module
 * The small tables of a seeded source: the static tables exactly as the live totesys database holds them
 * (`currency`, `department`, `payment_type`), and realistic staff, addresses and counterparties made with a seeded faker.
 */
import { base, en, Faker } from '@faker-js/faker';
import type { SeededRandom } from './seeded-random.ts';

/** A generated row: column name to COPY text value (null for NULL). */
export type SeedRow = Readonly<Record<string, string | null>>;

/** When the reference data was created in the live database (the Prisma seed, 2022-11-03). */
export const REFERENCE_CREATED_AT = '2022-11-03 14:20:49.962';
/** Counterparties were inserted a little after the other reference rows. */
export const COUNTERPARTY_CREATED_AT = '2022-11-03 14:20:51.563';

const stamped = (row: Record<string, string | null>, at = REFERENCE_CREATED_AT): SeedRow => ({
  ...row,
  created_at: at,
  last_updated: at,
});

/** currency: exactly the three live rows. */
export const CURRENCY_ROWS: readonly SeedRow[] = ['GBP', 'USD', 'EUR'].map((code, index) =>
  stamped({ currency_id: String(index + 1), currency_code: code }),
);

/** payment_type: exactly the four live rows (only 1 and 3 are ever used by orders). */
export const PAYMENT_TYPE_ROWS: readonly SeedRow[] = [
  'SALES_RECEIPT',
  'SALES_REFUND',
  'PURCHASE_PAYMENT',
  'PURCHASE_REFUND',
].map((name, index) => stamped({ payment_type_id: String(index + 1), payment_type_name: name }));

/** department: exactly the eight live rows, including department 4's misspelt location "Leds". */
export const DEPARTMENT_ROWS: readonly SeedRow[] = (
  [
    ['Sales', 'Manchester', 'Richard Roma'],
    ['Purchasing', 'Manchester', 'Naomi Lapaglia'],
    ['Production', 'Leeds', 'Chester Ming'],
    ['Dispatch', 'Leds', 'Mark Hanna'],
    ['Finance', 'Manchester', 'Jordan Belfort'],
    ['Facilities', 'Manchester', 'Shelley Levene'],
    ['Communications', 'Leeds', 'Ann Blake'],
    ['HR', 'Leeds', 'James Link'],
  ] as const
).map(([name, location, manager], index) =>
  stamped({ department_id: String(index + 1), department_name: name, location, manager }),
);

/** Sizes of the generated small tables (the live database has had these counts since 2022). */
export const STAFF_COUNT = 20;
export const ADDRESS_COUNT = 30;
export const COUNTERPARTY_COUNT = 20;
const NULL_LINE_2 = 20;
const NULL_DISTRICT = 14;

/** Countries with apostrophes, forced into a few addresses so quoting bugs show up in every seed. */
const APOSTROPHE_COUNTRIES = [
  "Democratic People's Republic of Korea",
  "Cote d'Ivoire",
  "Lao People's Democratic Republic",
];

/** The generated small tables of one seed. */
export interface ReferenceTables {
  readonly address: readonly SeedRow[];
  readonly staff: readonly SeedRow[];
  readonly counterparty: readonly SeedRow[];
}

/** Builds staff, addresses and counterparties deterministically from `random` (and a faker seeded from it). */
export function generateReferenceTables(random: SeededRandom): ReferenceTables {
  const faker = new Faker({ locale: [en, base] });
  faker.seed(random.int(1, 2_147_483_646));

  const nullLine2 = new Set(random.shuffle(range(ADDRESS_COUNT)).slice(0, NULL_LINE_2));
  const nullDistrict = new Set(random.shuffle(range(ADDRESS_COUNT)).slice(0, NULL_DISTRICT));
  const address = range(ADDRESS_COUNT).map((index) =>
    stamped({
      address_id: String(index + 1),
      address_line_1: faker.location.streetAddress(),
      address_line_2: nullLine2.has(index) ? null : faker.location.street(),
      district: nullDistrict.has(index) ? null : faker.location.county(),
      city: faker.location.city(),
      postal_code: faker.location.zipCode(),
      country: index % 10 === 4 ? (APOSTROPHE_COUNTRIES[index % 3] as string) : faker.location.country(),
      phone: `${random.chars(4, DIGITS)} ${random.chars(6, DIGITS)}`,
    }),
  );

  // Nobody works in department 1 (Sales) in the live data.
  const staff = range(STAFF_COUNT).map((index) => {
    const first = faker.person.firstName();
    const last = index === 7 ? "O'Keefe" : faker.person.lastName();
    return stamped({
      staff_id: String(index + 1),
      first_name: first,
      last_name: last,
      department_id: String(random.int(2, DEPARTMENT_ROWS.length)),
      email_address: `${emailPart(first)}.${emailPart(last)}@terrifictotes.com`,
    });
  });

  // Several counterparties share a legal address: 14 distinct addresses for 20 counterparties.
  const distinct = random.shuffle(range(ADDRESS_COUNT)).slice(0, 14);
  const legal = random.shuffle([...distinct, ...range(6).map(() => random.pick(distinct))]);
  const counterparty = range(COUNTERPARTY_COUNT).map((index) =>
    stamped(
      {
        counterparty_id: String(index + 1),
        counterparty_legal_name: faker.company.name(),
        legal_address_id: String((legal[index] as number) + 1),
        commercial_contact: random.chance(0.9) ? faker.person.fullName() : null,
        delivery_contact: random.chance(0.9) ? faker.person.fullName() : null,
      },
      COUNTERPARTY_CREATED_AT,
    ),
  );
  return { address, staff, counterparty };
}

const DIGITS = '0123456789';

function emailPart(name: string): string {
  return name.toLowerCase().replace(/[^a-z]/g, '');
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}
