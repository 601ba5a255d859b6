import { DASHBOARD_SCRIPT, DASHBOARD_STYLE } from "./dashboardPageAssets.js";

/**
 * Escapes text for HTML element content and double-quoted attribute values.
 *
 * @example
 * escapeHtml('<b class="x">'); // "&lt;b class=&quot;x&quot;&gt;"
 */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * JSON that is safe inside a `<script type="application/json">` element: `<`, `>`, `&` and the
 * two line separators JavaScript once refused are written as `\u` escapes, so a string holding
 * `</script>` cannot end the element (the parsed value is unchanged).
 *
 * @example
 * `<script type="application/json">${jsonForScript({ name: "</script>" })}</script>`;
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

/**
 * What {@link renderDashboardPage} puts into the page.
 *
 * @example
 * renderDashboardPage({ nonce, title: "shop", redis: "redis://127.0.0.1:6379/", intervalMs: 1000, historyMs: 600_000, initial: { samples: [], snapshot: null } });
 */
export interface DashboardPageOptions {
  /** The CSP nonce of this response (the page's one style and one script carry it). */
  nonce: string;
  /** The key prefix shown in the header. */
  title: string;
  /** The Redis URL without its password. */
  redis: string;
  intervalMs: number;
  historyMs: number;
  /** The history at the time of the request, so the charts are drawn before the first event. */
  initial: unknown;
}

/**
 * The dashboard's one HTML page: inline CSS and vanilla JavaScript that draws the charts as SVG
 * and follows `/api/events` (Server-Sent Events). Both inline blocks carry `nonce`, which the
 * Content-Security-Policy header of the response must allow.
 *
 * @example
 * response.end(renderDashboardPage({ nonce, title: "shop", redis: url, intervalMs: 1000, historyMs: 600_000, initial }));
 */
export function renderDashboardPage(options: DashboardPageOptions): string {
  const nonce = escapeHtml(options.nonce);
  const config = {
    intervalMs: options.intervalMs,
    historyMs: options.historyMs,
    initial: options.initial,
  };
  const minutes = Math.round(options.historyMs / 60_000);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>streamstore dashboard · ${escapeHtml(options.title)}</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">${DASHBOARD_STYLE}</style>
</head>
<body>
<header>
  <h1>streamstore dashboard</h1>
  <span class="where">prefix <code id="prefix">${escapeHtml(options.title)}</code> on <code id="redis">${escapeHtml(options.redis)}</code></span>
  <span id="connection"><span class="dot"></span><span id="connection-text">connecting…</span> · updated <span id="updated">–</span></span>
</header>
<main>
  <div id="problem" role="alert"></div>
  <div class="cards">
    <div class="card"><div class="label">Total lag (events)</div><div class="value" id="total-lag">0</div></div>
    <div class="card"><div class="label">Appended / s</div><div class="value" id="appended-rate">0</div></div>
    <div class="card"><div class="label">Applied / s (sum)</div><div class="value" id="applied-rate">0</div></div>
    <div class="card"><div class="label">Dead letters</div><div class="value" id="dead-letters">0</div></div>
    <div class="card"><div class="label">Projections and reactors healthy</div><div class="value" id="healthy">0 / 0</div></div>
  </div>
  <section class="wide">
    <h2>Projection lag <small>events appended to the source logs and not yet applied, per projection</small></h2>
    <ul class="legend" id="lag-legend"></ul>
    <svg class="chart" id="lag-chart" role="img" aria-label="Projection lag over time" data-latest-lag="0" data-samples="0"></svg>
  </section>
  <section class="wide">
    <h2>Throughput <small>events per second appended to category logs and applied by each projection</small></h2>
    <ul class="legend" id="throughput-legend"></ul>
    <svg class="chart" id="throughput-chart" role="img" aria-label="Throughput over time"></svg>
  </section>
  <section class="wide">
    <h2>Projections</h2>
    <table id="projections">
      <thead><tr><th>projection</th><th>build</th><th>state</th><th class="num">lag</th><th class="num">applied / s</th><th class="num">pending</th><th class="num">workers</th><th class="num">dead letters</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="wide">
    <h2>Reactors <small>side effects on each event once per group; no heartbeat: lag that grows and pending that stays tell a stopped one</small></h2>
    <table id="reactors">
      <thead><tr><th>reactor</th><th>sources</th><th class="num">lag</th><th class="num">pending</th><th class="num">consumers</th><th class="num">dead letters</th><th>last activity</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section>
    <h2>Consumer groups <small>per category partition log</small></h2>
    <table id="groups">
      <thead><tr><th>log</th><th>group</th><th class="num">consumers</th><th class="num">pending</th><th class="num">lag</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section>
    <h2>Categories</h2>
    <table id="categories">
      <thead><tr><th>category</th><th class="num">partitions</th><th class="num">events appended</th><th class="num">in the logs</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="wide">
    <h2>Hot and archived <small>per category partition: events still in Redis, and events the archiver moved to the archive</small></h2>
    <table id="tiers">
      <thead><tr><th>log</th><th class="num">in Redis</th><th class="num">Redis memory</th><th class="num">archived</th><th class="num">archive size</th><th>archived up to</th></tr></thead>
      <tbody></tbody>
    </table>
    <p class="note" id="archive-note"></p>
  </section>
</main>
<footer>Refreshes every ${options.intervalMs / 1000} s and keeps the last ${minutes} min. The same data as JSON: <code>GET /api/snapshot</code>.</footer>
<script type="application/json" id="dashboard-config">${jsonForScript(config)}</script>
<script nonce="${nonce}">${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
}
