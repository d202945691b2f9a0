/**
 * @module
 * The dashboard page's script (runs in the browser; bundled with uPlot by http/dashboard-assets.ts). It
 * listens to the server-sent `dashboard` events of `api/live` and fills the page (http/dashboard-html.ts)
 * with each snapshot, without a reload. Money is shown from the exact decimal text the server sends; charts
 * plot it as numbers, which is exact enough for a picture, and their tables show the text.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import { ALARM_THRESHOLDS, type AlarmThresholdName } from '../../core/alarm-thresholds.ts';
import type { CurrencyAmount, RankedItem, Spend } from '../business-figures.ts';
import type { DashboardSnapshot } from '../dashboard-snapshot.ts';
import type { LagFigure } from '../pipeline-figures.ts';

/** Colours safe for colour-blind readers (Okabe and Ito), dark enough on white. */
const PALETTE = ['#0072B2', '#D55E00', '#007A5A', '#AA4499', '#8A6100'];

const figure = (name: string): HTMLElement | null => document.querySelector(`[data-figure="${name}"]`);

function setText(name: string, text: string): void {
  const element = figure(name);
  if (element && element.textContent !== text) element.textContent = text;
}

/** `1234567.5` as text, grouped in thousands without going through a float. */
function groupDecimal(text: string): string {
  const negative = text.startsWith('-');
  const [whole = '0', fraction] = (negative ? text.slice(1) : text).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

const COMPACT = new Intl.NumberFormat('en-GB', { notation: 'compact', maximumFractionDigits: 1 });

/** `12,500,000` as `12.5M`, for axis ticks. */
function compactNumber(value: number): string {
  return COMPACT.format(value);
}

function seconds(value: number | null): string {
  if (value === null) return '-';
  if (value < 60) return `${value.toFixed(1)} s`;
  if (value < 3600) return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
  return `${Math.floor(value / 3600)} h ${Math.round((value % 3600) / 60)} min`;
}

function bytes(value: number | null): string {
  if (value === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${unit === 0 ? n : n.toFixed(1)} ${units[unit]}`;
}

/** `2026-12-01T13:02:03.456Z` as `2026-12-01 13:02:03 UTC`. */
function utcTime(iso: string | null): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : '-';
}

function ago(iso: string, now: string): string {
  return `${seconds(Math.max(0, (Date.parse(now) - Date.parse(iso)) / 1000))} ago`;
}

/** Builds an element with text and attributes. */
function element(tag: string, text?: string, attributes: Record<string, string> = {}): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

/** A table with a header row; `cells` are text, one array per row; `keys` name each row for tests. */
function renderTable(
  into: HTMLElement | null,
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  keys: readonly string[] = [],
): void {
  if (!into) return;
  if (rows.length === 0) {
    into.replaceChildren(element('p', 'None.', { class: 'empty' }));
    return;
  }
  const table = element('table') as HTMLTableElement;
  const head = element('tr');
  for (const [i, header] of headers.entries()) {
    head.append(element('th', header, { scope: 'col', ...(i > 0 ? { class: 'number' } : {}) }));
  }
  table.append(element('thead'), element('tbody'));
  table.tHead?.append(head);
  for (const [r, row] of rows.entries()) {
    const tr = element('tr', undefined, keys[r] ? { 'data-row': keys[r] } : {});
    for (const [i, cell] of row.entries()) {
      tr.append(i === 0 ? element('th', cell, { scope: 'row' }) : element('td', cell, { class: 'number' }));
    }
    table.tBodies[0]?.append(tr);
  }
  into.replaceChildren(table);
}

/** `GBP 1,234.00`, one line per currency. */
function amounts(list: readonly CurrencyAmount[]): string {
  return list.length === 0 ? '-' : list.map((a) => `${a.currency} ${groupDecimal(a.amount)}`).join('\n');
}

/** One currency list (payments) as a table: currency, count, amount. */
function renderAmounts(name: string, list: readonly CurrencyAmount[]): void {
  renderTable(
    figure(name),
    ['Currency', 'Payments', 'Amount'],
    list.map((a) => [a.currency, String(a.count), groupDecimal(a.amount)]),
    list.map((a) => a.currency),
  );
}

/** A uPlot chart that is rebuilt when its series change and follows its container's width. */
class Chart {
  readonly #host: HTMLElement;
  readonly #table: HTMLElement | null;
  readonly #bars: boolean;
  #plot: uPlot | undefined;
  #signature = '';

  constructor(id: string, bars = false) {
    this.#host = document.querySelector(`[data-chart="${id}"]`) as HTMLElement;
    this.#table = document.querySelector(`[data-chart-table="${id}"]`);
    this.#bars = bars;
    new ResizeObserver(() => this.#plot?.setSize(this.#size())).observe(this.#host);
  }

  #size(): { width: number; height: number } {
    return { width: Math.max(240, this.#host.clientWidth), height: 220 };
  }

  /** `x` in Unix seconds; one `values` array per series; `labels` for the table (one per x). */
  update(
    x: readonly number[],
    series: readonly { name: string; values: readonly number[] }[],
    labels: readonly string[],
  ): void {
    const signature = series.map((s) => s.name).join('|');
    const data = [x, ...series.map((s) => s.values)] as unknown as uPlot.AlignedData;
    if (!this.#plot || signature !== this.#signature) {
      this.#plot?.destroy();
      this.#signature = signature;
      this.#plot = new uPlot(
        {
          ...this.#size(),
          series: [
            {},
            ...series.map((s, i) => ({
              label: s.name,
              stroke: PALETTE[i % PALETTE.length],
              width: 2,
              ...(this.#bars
                ? { fill: `${PALETTE[i % PALETTE.length]}99`, paths: uPlot.paths.bars?.({ size: [0.6, 40] }) }
                : { points: { show: x.length < 40 } }),
            })),
          ],
          axes: [{}, { size: 60, values: (_plot, ticks) => ticks.map(compactNumber) }],
          scales: { x: { time: true } },
          // Times on the page are UTC everywhere, the charts' axes included.
          tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        },
        data,
        this.#host,
      );
    } else {
      this.#plot.setData(data);
    }
    renderTable(
      this.#table,
      ['', ...series.map((s) => s.name)],
      labels.map((label, i) => [label, ...series.map((s) => String(s.values[i] ?? ''))]),
    );
  }
}

const charts = {
  latency: new Chart('latency'),
  rowsPerMinute: new Chart('rows-per-minute', true),
  salesValue: new Chart('sales-value'),
  salesUnits: new Chart('sales-units', true),
  salesGbp: new Chart('sales-gbp'),
};

/** Marks a stage tile and says why in words (the colour is never the only sign). */
function verdict(stage: string, behind: boolean, reason: string): void {
  const tile = document.getElementById(`stage-${stage}`);
  tile?.classList.toggle('behind', behind);
  const text = document.querySelector(`[data-verdict="${stage}"]`);
  if (text) text.textContent = behind ? `Behind: ${reason}` : 'Within its alarm threshold';
}

function lagText(f: LagFigure, format: (v: number | null) => string): string {
  return format(f.value);
}

function threshold(name: AlarmThresholdName, format: (v: number) => string): string {
  return `the alarm fires above ${format(ALARM_THRESHOLDS[name])}`;
}

function render(snapshot: DashboardSnapshot): void {
  const { business, history, lag } = snapshot;
  setText('read-at', utcTime(snapshot.readAt));
  setText('cut-lsn', history.cut?.lsn ?? 'none yet');
  setText('cut-commit-ts', utcTime(history.cut?.commitTs ?? null));
  const last = history.loads.at(-1);
  setText('last-change', last ? `${utcTime(last.at)} (${ago(last.at, snapshot.readAt)})` : 'none yet');
  const problem = figure('status-problem');
  if (problem) {
    problem.hidden = snapshot.statusProblem === null;
    problem.textContent = snapshot.statusProblem ?? '';
  }

  setText('reader-lag-seconds', lagText(lag.reader.seconds, seconds));
  setText('reader-slot-bytes', lagText(lag.reader.slotBytes, bytes));
  verdict(
    'reader',
    lag.reader.seconds.behind || lag.reader.slotBytes.behind,
    `${threshold('readerLagSeconds', seconds)} or ${bytes(ALARM_THRESHOLDS.readerSlotLagBytes)} of WAL`,
  );
  const slowest = [...lag.lake].sort((a, b) => (b.value ?? 0) - (a.value ?? 0))[0];
  setText('lake-lag-seconds', slowest ? seconds(slowest.value) : '-');
  setText('lake-slowest', slowest?.table ?? '-');
  const lakeList = figure('lake-tables');
  lakeList?.replaceChildren(
    ...lag.lake.map((t) =>
      element('li', `${t.table}: ${seconds(t.value)}${t.behind ? ' (behind)' : ''}`, {
        'data-table': t.table,
      }),
    ),
  );
  verdict(
    'lake',
    lag.lake.some((t) => t.behind),
    threshold('lakeLagSeconds', seconds),
  );
  setText('warehouse-lag-seconds', lagText(lag.warehouse, seconds));
  verdict('warehouse', lag.warehouse.behind, threshold('warehouseLagSeconds', seconds));
  setText('end-to-end-p95', seconds(lag.endToEnd.p95.value));
  setText('end-to-end-p50', seconds(lag.endToEnd.p50));
  verdict('end-to-end', lag.endToEnd.p95.behind, threshold('endToEndP95Seconds', seconds));
  const errorCount = lag.errorsWaiting.reduce((n, t) => n + (t.value ?? 0), 0);
  setText('errors-waiting', String(errorCount));
  figure('errors-tables')?.replaceChildren(
    ...lag.errorsWaiting.map((t) =>
      element('li', `errors/${t.table}/: ${t.value}`, { 'data-table': t.table }),
    ),
  );
  verdict(
    'errors',
    errorCount > ALARM_THRESHOLDS.errorObjects,
    'records failed and wait under errors/ in the lake',
  );
  const behind = [...document.querySelectorAll('.tile.behind h3')].map((h) => h.textContent);
  setText(
    'behind-summary',
    behind.length === 0 ? 'Every stage is within its alarm threshold.' : `Behind: ${behind.join(', ')}.`,
  );

  charts.latency.update(
    history.loads.map((l) => Date.parse(l.at) / 1000),
    [
      { name: 'p50 (s)', values: history.loads.map((l) => l.p50) },
      { name: 'p95 (s)', values: history.loads.map((l) => l.p95) },
    ],
    history.loads.map((l) => utcTime(l.at)),
  );
  charts.rowsPerMinute.update(
    history.rowsPerMinute.map((m) => Date.parse(m.minute) / 1000),
    [{ name: 'rows', values: history.rowsPerMinute.map((m) => m.rows) }],
    history.rowsPerMinute.map((m) => utcTime(m.minute)),
  );

  setText('today', business.today);
  const days = business.sales.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
  charts.salesValue.update(
    days,
    business.sales.perCurrency.map((c) => ({ name: c.currency, values: c.value.map(Number) })),
    business.sales.days,
  );
  charts.salesUnits.update(
    days,
    business.sales.perCurrency.map((c) => ({ name: c.currency, values: [...c.units] })),
    business.sales.days,
  );
  charts.salesGbp.update(
    days,
    [{ name: 'GBP', values: business.sales.gbp.value.map(Number) }],
    business.sales.days,
  );
  setText('gbp-rates', describeRates(business));
  const ranked = (name: string, items: readonly RankedItem[]) =>
    renderTable(
      figure(name),
      ['Name', 'Units', 'Orders'],
      items.map((i) => [i.name, i.units.toLocaleString('en-GB'), String(i.orders)]),
      items.map((i) => i.name),
    );
  ranked('top-counterparties', business.sales.topCounterparties);
  ranked('top-designs', business.sales.topDesigns);
  const spend = (name: string, items: readonly Spend[], withDepartment: boolean) =>
    renderTable(
      figure(name),
      withDepartment ? ['Staff', 'Department', 'Orders', 'Spend'] : ['Department', 'Orders', 'Spend'],
      items.map((s) => [
        s.name,
        ...(withDepartment ? [s.department] : []),
        String(s.orders),
        amounts(s.amounts),
      ]),
      items.map((s) => s.name),
    );
  spend('spend-by-department', business.purchases.byDepartment, false);
  spend('spend-by-staff', business.purchases.byStaff, true);
  renderAmounts('payments-due', business.payments.dueNext7Days);
  renderAmounts('payments-overdue', business.payments.overdue);
  const currencies = [
    ...new Set([...business.payments.paid, ...business.payments.unpaid].map((a) => a.currency)),
  ].sort();
  const of = (list: readonly CurrencyAmount[], currency: string) => list.find((a) => a.currency === currency);
  renderTable(
    figure('payments-paid'),
    ['Currency', 'Paid', 'Unpaid', 'Paid amount', 'Unpaid amount'],
    currencies.map((c) => [
      c,
      String(of(business.payments.paid, c)?.count ?? 0),
      String(of(business.payments.unpaid, c)?.count ?? 0),
      groupDecimal(of(business.payments.paid, c)?.amount ?? '0.00'),
      groupDecimal(of(business.payments.unpaid, c)?.amount ?? '0.00'),
    ]),
    currencies,
  );
  renderForecasts(snapshot.forecasts);
  document.body.dataset['cut'] = history.cut?.lsn ?? '';
}

/**
 * The gold-price panel: one row per prediction, its close beside the last one known (the naive forecast) and
 * the one that came true, with the model's training window; the synthetic market named as such.
 */
function renderForecasts(forecasts: DashboardSnapshot['forecasts']): void {
  const newest = forecasts[0];
  const synthetic = forecasts.some((f) => f.source === 'synthetic');
  setText(
    'forecast-label',
    newest
      ? `${newest.model} (${newest.library}) on ${newest.symbol} in ${newest.currency}, trained on ${newest.trainingRows} days to ${newest.trainingTo}: ${synthetic ? 'SYNTHETIC market data, not real prices' : `prices from ${newest.source}`}`
      : 'No prediction yet.',
  );
  renderTable(
    figure('forecasts'),
    ['Target day', 'Predicted', 'Last close', 'Actual', 'Trained from'],
    forecasts.map((f) => [
      f.targetDate,
      groupDecimal(f.predictedClose),
      `${groupDecimal(f.lastClose)} (${f.lastPriceDate})`,
      f.actualClose === null ? '-' : groupDecimal(f.actualClose),
      f.trainingFrom,
    ]),
    forecasts.map((f) => `${f.model}:${f.targetDate}`),
  );
}

/**
 * The line under the GBP chart: the rates in use and who published them, with the synthetic market named as
 * such (README, "Market data"), and the orders still waiting for a rate.
 */
function describeRates(business: DashboardSnapshot['business']): string {
  if (business.rates.length === 0)
    return 'GBP rates: none yet (orders in other currencies are not in GBP yet)';
  const rates = business.rates.map((r) => `1 GBP = ${Number(r.rate).toFixed(4)} ${r.currency} (${r.date})`);
  const sources = [...new Set(business.rates.map((r) => r.source))];
  const label = sources.includes('synthetic')
    ? 'SYNTHETIC market data, not real rates'
    : `published by ${sources.join(', ')}`;
  const unpriced =
    business.sales.gbp.unpriced > 0 ? `; ${business.sales.gbp.unpriced} orders have no rate yet` : '';
  return `GBP rates: ${rates.join(', ')}: ${label}${unpriced}`;
}

function connect(): void {
  const source = new EventSource('api/live');
  source.addEventListener('dashboard', (event) => {
    setText('connection', 'live');
    render(JSON.parse((event as MessageEvent<string>).data) as DashboardSnapshot);
  });
  // EventSource reconnects by itself (after the server's `retry`); say so meanwhile.
  source.addEventListener('error', () => setText('connection', 'reconnecting'));
}

connect();
