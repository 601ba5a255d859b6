// The page: one HTML document with its CSS and script inline (no build step, no CDN). Everything
// that comes from Redis is written with textContent or as SVG attributes, never as HTML.
/** The page's stylesheet, inlined under the response's nonce. */
export const DASHBOARD_STYLE = `
:root { --ink:#0f172a; --muted:#64748b; --line:#e2e8f0; --panel:#ffffff; --bg:#f1f5f9; --ok:#059669; --warn:#d97706; --bad:#dc2626; --accent:#2563eb; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; }
header { display:flex; align-items:center; gap:16px; padding:14px 28px; background:var(--ink); color:#f8fafc; }
header h1 { margin:0; font-size:18px; font-weight:650; letter-spacing:.2px; }
header .where { color:#cbd5e1; font-size:13px; }
header .where code { color:#f8fafc; background:#1e293b; padding:2px 6px; border-radius:4px; }
#connection { margin-left:auto; display:flex; align-items:center; gap:8px; font-size:13px; color:#cbd5e1; }
#connection .dot { width:9px; height:9px; border-radius:50%; background:#94a3b8; }
#connection.live .dot { background:#34d399; }
#connection.down .dot { background:#f87171; }
main { padding:20px 28px 28px; display:grid; gap:16px; grid-template-columns:repeat(2,minmax(0,1fr)); }
.cards { grid-column:1 / -1; display:grid; grid-template-columns:repeat(5,minmax(0,1fr)); gap:12px; }
.card, section { background:var(--panel); border:1px solid var(--line); border-radius:8px; }
.card { padding:12px 16px; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.5px; }
.card .value { font-size:24px; font-weight:650; font-variant-numeric:tabular-nums; margin-top:2px; }
.card .value.bad { color:var(--bad); }
section { padding:14px 16px; min-width:0; }
section.wide { grid-column:1 / -1; }
section h2 { margin:0 0 8px; font-size:14px; font-weight:650; display:flex; align-items:baseline; gap:10px; }
section h2 small { color:var(--muted); font-weight:400; font-size:12px; }
.legend { display:flex; flex-wrap:wrap; gap:4px 16px; margin:0 0 4px; padding:0; list-style:none; font-size:12px; color:var(--muted); }
.legend li { display:flex; align-items:center; gap:6px; }
svg.chart { display:block; width:100%; height:230px; }
svg.chart text { font-size:11px; fill:var(--muted); font-family:inherit; }
svg.chart .grid { stroke:var(--line); stroke-width:1; }
svg.chart .axis { stroke:#94a3b8; stroke-width:1; }
table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
th { color:var(--muted); font-weight:600; font-size:12px; }
td.num, th.num { text-align:right; }
tr:last-child td { border-bottom:none; }
.state { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; background:#e2e8f0; color:#334155; }
.state.live { background:#d1fae5; color:#065f46; }
.state.catching-up { background:#fef3c7; color:#92400e; }
.state.failed, .state.stopped { background:#fee2e2; color:#991b1b; }
.bad { color:var(--bad); font-weight:600; }
.empty { color:var(--muted); padding:10px 8px; }
.note { color:var(--muted); font-size:12px; margin:8px 8px 0; }
.note.bad { color:var(--bad); }
#problem { grid-column:1 / -1; display:none; padding:10px 14px; border-radius:8px; background:#fee2e2; color:#991b1b; border:1px solid #fecaca; }
#problem.shown { display:block; }
footer { padding:0 28px 20px; color:var(--muted); font-size:12px; }
`;

/**
 * The page's client script (vanilla JavaScript, run in the browser, not here): reads its config
 * from the page, draws the charts as SVG and follows `/api/events`.
 */
export const DASHBOARD_SCRIPT = `
"use strict";
const COLORS = ["#2563eb", "#d97706", "#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#dc2626"];
const SVG = "http://www.w3.org/2000/svg";
const config = JSON.parse(document.getElementById("dashboard-config").textContent);
let samples = config.initial.samples;
let snapshot = config.initial.snapshot;
const colorOf = new Map();
function color(name) {
  if (!colorOf.has(name)) colorOf.set(name, COLORS[colorOf.size % COLORS.length]);
  return colorOf.get(name);
}
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}
function svgEl(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}
function formatNumber(value) {
  return Number(value).toLocaleString("en-US", { maximumFractionDigits: 1 });
}
function formatBytes(value) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let size = Number(value), unit = 0;
  while (size >= 1024 && unit < units.length - 1) { size /= 1024; unit++; }
  return (unit === 0 ? String(size) : size.toFixed(1)) + " " + units[unit];
}
// A tick step of 1, 2 or 5 times a power of ten, so that axis labels stay round numbers.
function niceStep(value, floor) {
  const raw = Math.max(value, floor) / 5;
  const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= raw) return step * magnitude;
  return 10 * magnitude;
}
function timeStep(spanSeconds) {
  for (const step of [5, 10, 15, 30, 60, 120, 300, 600]) if (spanSeconds / step <= 6) return step;
  return 900;
}
function agoLabel(seconds) {
  if (seconds === 0) return "now";
  return seconds % 60 === 0 ? "-" + seconds / 60 + " min" : "-" + seconds + " s";
}
// Draws one line per series over the sampled window, with labelled axes.
function drawChart(svg, series, yTitle, floor) {
  const width = Math.max(320, svg.clientWidth || 640);
  const height = Math.max(160, svg.clientHeight || 230);
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.replaceChildren();
  const left = 56, right = 16, top = 10, bottom = 38;
  const plotWidth = width - left - right, plotHeight = height - top - bottom;
  const last = samples.length ? samples[samples.length - 1].at : Date.now();
  const first = samples.length ? samples[0].at : last;
  const span = Math.min(config.historyMs, Math.max(20 * config.intervalMs, last - first));
  const start = last - span;
  let max = 0;
  for (const line of series) for (const [, value] of line.points) max = Math.max(max, value);
  const yStep = niceStep(max, floor);
  const yMax = yStep * Math.max(1, Math.ceil(max / yStep));
  const x = (at) => left + ((at - start) / span) * plotWidth;
  const y = (value) => top + plotHeight - (value / yMax) * plotHeight;
  for (let value = 0; value <= yMax; value += yStep) {
    svg.append(svgEl("line", { class: "grid", x1: left, x2: left + plotWidth, y1: y(value), y2: y(value) }));
    svg.append(svgEl("text", { x: left - 8, y: y(value) + 4, "text-anchor": "end" }, formatNumber(value)));
  }
  const step = timeStep(span / 1000);
  for (let seconds = 0; seconds * 1000 <= span; seconds += step) {
    const at = last - seconds * 1000;
    svg.append(svgEl("line", { class: "axis", x1: x(at), x2: x(at), y1: top + plotHeight, y2: top + plotHeight + 4 }));
    svg.append(svgEl("text", { x: x(at), y: top + plotHeight + 16, "text-anchor": seconds === 0 ? "end" : "middle" }, agoLabel(seconds)));
  }
  svg.append(svgEl("line", { class: "axis", x1: left, x2: left + plotWidth, y1: top + plotHeight, y2: top + plotHeight }));
  svg.append(svgEl("text", { x: left + plotWidth / 2, y: height - 4, "text-anchor": "middle" }, "time (" + config.intervalMs / 1000 + " s samples)"));
  svg.append(svgEl("text", { x: 0, y: 0, transform: "translate(12 " + (top + plotHeight / 2) + ") rotate(-90)", "text-anchor": "middle" }, yTitle));
  // Lines that coincide (projections equally behind) stay visible: earlier lines are drawn wider
  // beneath later ones, and the dashed total goes on top.
  const solid = series.filter((line) => !line.dashed);
  const drawn = [...solid, ...series.filter((line) => line.dashed)];
  for (const line of drawn) {
    const index = solid.indexOf(line);
    const strokeWidth = index < 0 ? 2 : 2 + 1.5 * Math.min(3, solid.length - 1 - index);
    const points = line.points.filter(([at]) => at >= start).map(([at, value]) => x(at).toFixed(1) + "," + y(value).toFixed(1));
    if (points.length === 0) continue;
    svg.append(svgEl("polyline", { points: points.join(" "), fill: "none", stroke: line.color, "stroke-width": strokeWidth, "stroke-linejoin": "round", "stroke-dasharray": line.dashed ? "6 4" : "none", "data-series": line.name }));
    const [at, value] = line.points[line.points.length - 1];
    svg.append(svgEl("circle", { cx: x(at), cy: y(value), r: 3, fill: line.color }));
  }
}
function legend(list, series) {
  list.replaceChildren(...series.map((line) => {
    const item = el("li");
    const swatch = svgEl("svg", { width: 14, height: 4, "aria-hidden": "true" });
    swatch.append(svgEl("line", { x1: 0, x2: 14, y1: 2, y2: 2, stroke: line.color, "stroke-width": 3, "stroke-dasharray": line.dashed ? "4 2" : "none" }));
    item.append(swatch, el("span", line.label));
    return item;
  }));
}
function names() {
  const seen = new Set();
  for (const sample of samples) for (const projection of sample.projections) seen.add(projection.name);
  return [...seen];
}
function lagSeries() {
  return names().map((name) => ({
    name, label: name, color: color(name),
    points: samples.flatMap((sample) => sample.projections.filter((p) => p.name === name).map((p) => [sample.at, p.lag])),
  }));
}
function throughputSeries() {
  const appended = { name: "appended", label: "appended (all categories)", color: "#0f172a", dashed: true, points: samples.map((sample) => [sample.at, sample.appendedPerSecond]) };
  return [appended, ...names().map((name) => ({
    name: "applied:" + name, label: "applied by " + name, color: color(name),
    points: samples.flatMap((sample) => sample.projections.filter((p) => p.name === name).map((p) => [sample.at, p.appliedPerSecond])),
  }))];
}
function cell(row, value, className) {
  row.append(el("td", value, className));
}
function fillTable(id, rows, empty, columns) {
  const body = document.querySelector("#" + id + " tbody");
  if (rows.length === 0) {
    const row = el("tr");
    const only = el("td", empty, "empty");
    only.colSpan = columns;
    row.append(only);
    body.replaceChildren(row);
    return;
  }
  body.replaceChildren(...rows);
}
function renderTables() {
  const projections = snapshot ? snapshot.projections : [];
  const latest = samples.length ? samples[samples.length - 1] : undefined;
  fillTable("projections", projections.map((projection) => {
    const row = el("tr");
    row.dataset.projection = projection.name;
    const name = el("td");
    const swatch = svgEl("svg", { width: 10, height: 10, "aria-hidden": "true" });
    swatch.append(svgEl("circle", { cx: 5, cy: 5, r: 4, fill: color(projection.name) }));
    name.append(swatch, document.createTextNode(" " + projection.name));
    row.append(name);
    cell(row, projection.activeBuild && projection.activeBuild !== projection.build ? projection.build + " (readers: " + projection.activeBuild + ")" : projection.build);
    const state = el("td");
    state.append(el("span", projection.state, "state " + projection.state));
    row.append(state);
    cell(row, formatNumber(projection.lag), "num" + (projection.lag > 0 ? " lag" : ""));
    const rate = latest && latest.projections.find((p) => p.name === projection.name);
    cell(row, formatNumber(rate ? rate.appliedPerSecond : 0), "num");
    cell(row, formatNumber(projection.pending), "num");
    cell(row, projection.workers, "num");
    cell(row, formatNumber(projection.deadLetters), "num" + (projection.deadLetters > 0 ? " bad" : ""));
    return row;
  }), "No projections: none in the config module (--config) and none found in Redis under this prefix.", 8);
  const reactors = snapshot && snapshot.reactors ? snapshot.reactors : [];
  fillTable("reactors", reactors.map((reactor) => {
    const row = el("tr");
    row.dataset.reactor = reactor.name;
    cell(row, reactor.name);
    cell(row, reactor.source.join(", "));
    cell(row, reactor.lag === null ? "?" : formatNumber(reactor.lag), "num" + (reactor.lag !== 0 ? " lag" : ""));
    cell(row, formatNumber(reactor.pending), "num");
    cell(row, reactor.consumers, "num" + (reactor.consumers === 0 ? " bad" : ""));
    cell(row, formatNumber(reactor.deadLetters), "num" + (reactor.deadLetters > 0 ? " bad" : ""));
    cell(row, reactor.lastActivityAt === null ? "never" : new Date(reactor.lastActivityAt).toLocaleTimeString("en-GB"));
    return row;
  }), "No reactors: none in the config module (--config) and no reactor consumer group (rx:<name>) on the category logs.", 7);
  const groups = snapshot ? snapshot.groups : [];
  fillTable("groups", groups.map((group) => {
    const row = el("tr");
    row.dataset.group = group.group;
    cell(row, group.category + ":" + group.partition);
    cell(row, group.group);
    cell(row, group.consumers, "num" + (group.consumers === 0 ? " bad" : ""));
    cell(row, formatNumber(group.pending), "num");
    cell(row, group.lag === null ? "?" : formatNumber(group.lag), "num");
    return row;
  }), "No consumer groups on the category logs.", 5);
  const categories = snapshot ? snapshot.categories : [];
  fillTable("categories", categories.map((category) => {
    const row = el("tr");
    row.dataset.category = category.category;
    cell(row, category.category);
    cell(row, category.partitions, "num");
    cell(row, formatNumber(category.entriesAdded), "num");
    cell(row, formatNumber(category.length), "num");
    return row;
  }), "No categories under this prefix yet.", 4);
  const tiers = snapshot && snapshot.partitions ? snapshot.partitions : [];
  fillTable("tiers", tiers.map((partition) => {
    const row = el("tr");
    row.dataset.partition = partition.category + ":" + partition.partition;
    cell(row, partition.category + ":" + partition.partition);
    cell(row, formatNumber(partition.hotEntries), "num");
    cell(row, partition.hotBytes === null ? "-" : formatBytes(partition.hotBytes), "num");
    cell(row, formatNumber(partition.archivedEvents), "num");
    cell(row, partition.archiveBytes === null ? "-" : formatBytes(partition.archiveBytes), "num");
    cell(row, partition.seamAt || "-");
    return row;
  }), "No category partitions under this prefix yet.", 6);
  const archive = snapshot ? snapshot.archive : null;
  const note = document.getElementById("archive-note");
  note.textContent = !archive
    ? "No archive given (--archive-url, STREAMSTORE_ARCHIVE_URL or the config's archive): the archive's size is not shown."
    : archive.problem
      ? "The archive's figures could not be read: " + archive.problem
      : "Archive " + archive.target + (archive.statsAt ? ", figures of " + new Date(archive.statsAt).toLocaleTimeString("en-GB") + " (read every 30 s)" : "");
  note.classList.toggle("bad", Boolean(archive && archive.problem));
}
function renderCards() {
  const latest = samples.length ? samples[samples.length - 1] : { appendedPerSecond: 0, projections: [] };
  const sum = (field) => latest.projections.reduce((total, p) => total + p[field], 0);
  // Projections and reactors together: both are consumers whose health an operator watches.
  const consumers = snapshot ? [...snapshot.projections, ...(snapshot.reactors || [])] : [];
  const healthy = consumers.filter((consumer) => consumer.healthy).length;
  const deadLetters = sum("deadLetters") + (snapshot && snapshot.reactors ? snapshot.reactors.reduce((total, r) => total + r.deadLetters, 0) : 0);
  document.getElementById("total-lag").textContent = formatNumber(sum("lag"));
  document.getElementById("appended-rate").textContent = formatNumber(latest.appendedPerSecond);
  document.getElementById("applied-rate").textContent = formatNumber(sum("appliedPerSecond"));
  const dead = document.getElementById("dead-letters");
  dead.textContent = formatNumber(deadLetters);
  dead.classList.toggle("bad", deadLetters > 0);
  const health = document.getElementById("healthy");
  health.textContent = healthy + " / " + consumers.length;
  health.classList.toggle("bad", healthy < consumers.length);
}
function render() {
  const lag = lagSeries();
  const chart = document.getElementById("lag-chart");
  drawChart(chart, lag, "lag (events)", 10);
  const latest = samples.length ? samples[samples.length - 1] : undefined;
  chart.dataset.latestLag = String(latest ? latest.projections.reduce((total, p) => total + p.lag, 0) : 0);
  chart.dataset.samples = String(samples.length);
  legend(document.getElementById("lag-legend"), lag);
  const throughput = throughputSeries();
  drawChart(document.getElementById("throughput-chart"), throughput, "events / s", 10);
  legend(document.getElementById("throughput-legend"), throughput);
  renderTables();
  renderCards();
  if (snapshot) document.getElementById("updated").textContent = new Date(snapshot.at).toLocaleTimeString("en-GB");
}
function setConnection(state, text) {
  const connection = document.getElementById("connection");
  connection.className = state;
  document.getElementById("connection-text").textContent = text;
}
function showProblem(message) {
  const problem = document.getElementById("problem");
  problem.textContent = message || "";
  problem.classList.toggle("shown", Boolean(message));
}
function follow() {
  const events = new EventSource("api/events");
  events.addEventListener("history", (event) => {
    const data = JSON.parse(event.data);
    samples = data.samples;
    snapshot = data.snapshot;
    setConnection("live", "live");
    render();
  });
  events.addEventListener("sample", (event) => {
    const data = JSON.parse(event.data);
    samples.push(data.sample);
    const oldest = data.sample.at - config.historyMs;
    while (samples.length && samples[0].at < oldest) samples.shift();
    snapshot = data.snapshot;
    showProblem("");
    setConnection("live", "live");
    render();
  });
  events.addEventListener("problem", (event) => showProblem(JSON.parse(event.data).message));
  events.addEventListener("error", () => {
    if (events.readyState !== EventSource.CLOSED) return setConnection("down", "reconnecting…");
    // Refused (too many pages open, or the token's cookie is gone): the browser gives up, so try again.
    setConnection("down", "refused by the server (too many pages open, or no token): retrying in 5 s");
    setTimeout(follow, 5000);
  });
}
follow();
window.addEventListener("resize", render);
render();
`;
