/**
 * @module
 * The dashboard page's markup: the layout and every labelled place a figure goes; the script
 * (http/dashboard/dashboard-page.ts) fills them from the live feed. Each figure carries `data-figure`, the
 * name the browser tests read it by. Asset URLs are relative, so the page works under a path prefix (an API
 * Gateway stage) as well as at the root.
 */

const stage = (id: string, title: string, body: string) => `
      <article class="tile" id="stage-${id}" data-stage="${id}" aria-labelledby="stage-${id}-title">
        <h3 id="stage-${id}-title">${title}</h3>
        ${body}
        <p class="verdict" data-verdict="${id}"></p>
      </article>`;

const chart = (id: string, title: string, caption: string) => `
      <figure class="chart" aria-labelledby="${id}-title">
        <figcaption><h3 id="${id}-title">${title}</h3><p class="caption">${caption}</p></figcaption>
        <div class="plot" data-chart="${id}" role="img" aria-label="${title}: ${caption}"></div>
        <details><summary>${title}: the figures as a table</summary><div data-chart-table="${id}"></div></details>
      </figure>`;

const table = (id: string, title: string, wide = false) => `
      <section class="panel${wide ? ' wide' : ''}" aria-labelledby="${id}-title">
        <h3 id="${id}-title">${title}</h3>
        <div data-figure="${id}"><p class="empty">No data yet.</p></div>
      </section>`;

/** The page. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>totesys-stream dashboard</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="dashboard.css">
  <script defer src="dashboard.js"></script>
</head>
<body>
  <a class="skip" href="#main">Skip to the figures</a>
  <header class="top">
    <h1>totesys-stream</h1>
    <dl class="cut">
      <div><dt>Warehouse cut</dt><dd><span data-figure="cut-lsn">none yet</span>
        <span class="sub">commit <span data-figure="cut-commit-ts">-</span></span></dd></div>
      <div><dt>Last change loaded</dt><dd data-figure="last-change">-</dd></div>
      <div><dt>Live</dt><dd><span data-figure="connection" role="status">connecting</span>
        <span class="sub">read <span data-figure="read-at">-</span></span></dd></div>
    </dl>
  </header>
  <main id="main">
    <section aria-labelledby="pipeline-title">
      <h2 id="pipeline-title">Pipeline</h2>
      <p class="note" data-figure="status-problem" hidden></p>
      <p class="summary" data-figure="behind-summary" aria-live="polite"></p>
      <div class="tiles">${[
        stage(
          'reader',
          'Reader',
          '<p class="big"><span data-figure="reader-lag-seconds">-</span></p><p class="sub">slot holds <span data-figure="reader-slot-bytes">-</span> of WAL</p>',
        ),
        stage(
          'lake',
          'Lake',
          '<p class="big"><span data-figure="lake-lag-seconds">-</span></p><p class="sub">slowest table <span data-figure="lake-slowest">-</span></p><details><summary>Lag per lake table</summary><ul class="plain" data-figure="lake-tables"></ul></details>',
        ),
        stage(
          'warehouse',
          'Warehouse',
          '<p class="big"><span data-figure="warehouse-lag-seconds">-</span></p><p class="sub">changes waiting above the cut</p>',
        ),
        stage(
          'end-to-end',
          'End to end (last load)',
          '<p class="big">p95 <span data-figure="end-to-end-p95">-</span></p><p class="sub">p50 <span data-figure="end-to-end-p50">-</span></p>',
        ),
        stage(
          'errors',
          'Error objects waiting',
          '<p class="big"><span data-figure="errors-waiting">-</span></p><ul class="plain" data-figure="errors-tables"></ul>',
        ),
      ].join('')}
      </div>
      <div class="charts">${[
        chart('latency', 'End-to-end latency per load', 'seconds from commit to warehouse, p50 and p95'),
        chart('rows-per-minute', 'Rows loaded per minute', 'rows the loader wrote, last 30 minutes'),
      ].join('')}
      </div>
    </section>
    <section aria-labelledby="sales-title">
      <h2 id="sales-title">Sales <span class="sub">last 30 days, to <span data-figure="today">-</span> (UTC)</span></h2>
      <div class="charts">${[
        chart('sales-value', 'Sales value per day', 'units × unit price, per currency'),
        chart('sales-units', 'Units sold per day', 'per currency'),
        chart('sales-gbp', 'Sales value per day in GBP', 'every currency at the GBP rate of the order date'),
      ].join('')}
      </div>
      <p class="rates" data-figure="gbp-rates">GBP rates: none yet</p>
      <div class="panels">${table('top-counterparties', 'Top counterparties')}${table('top-designs', 'Top designs')}</div>
    </section>
    <section aria-labelledby="forecast-title">
      <h2 id="forecast-title">Gold price forecast <span class="sub">next trading day, gradient-boosted model</span></h2>
      <p class="rates" data-figure="forecast-label">No prediction yet.</p>
      <div class="panels">${table('forecasts', 'Predictions beside the close that came true', true)}</div>
    </section>
    <section aria-labelledby="purchases-title">
      <h2 id="purchases-title">Purchases <span class="sub">last 30 days</span></h2>
      <div class="panels">${table('spend-by-department', 'Spend by department')}${table('spend-by-staff', 'Spend by staff (most orders)')}</div>
    </section>
    <section aria-labelledby="payments-title">
      <h2 id="payments-title">Payments</h2>
      <div class="panels">${table('payments-due', 'Due in the next 7 days (unpaid)')}${table('payments-overdue', 'Overdue (unpaid)')}${table('payments-paid', 'Paid versus unpaid', true)}</div>
    </section>
  </main>
</body>
</html>
`;
