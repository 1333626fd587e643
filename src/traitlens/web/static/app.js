// traitlens web page: send the form to the JSON API, draw the table and charts, offer downloads.
// No framework and no CDN: Plotly comes from the installed Python package (/static/plotly.min.js).
"use strict";

const $ = (id) => document.getElementById(id);
const TABLE_ROWS = 500;
// Blue below zero (low pole, negative r), white at zero, red above (ColorBrewer RdBu, reversed).
const DIVERGING = [[0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1, "#b2182b"]];
let current = null; // {analysis, envelope, matrix}
let timer = null;

function authHeaders(json) {
  const headers = json ? {"Content-Type": "application/json"} : {};
  const token = $("token");
  if (token && token.value) headers.Authorization = "Bearer " + token.value;
  return headers;
}

function errorText(data, status) {
  if (data && data.message) return data.message;
  if (data && typeof data.detail === "string") return data.detail;
  return "the server answered " + status;
}

async function post(path, body) {
  const response = await fetch(path, {method: "POST", headers: authHeaders(true), body: JSON.stringify(body)});
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(errorText(data, response.status));
  return data;
}

function say(text) { $("status").textContent = text; }

// What the server warned about (blank, cut, non-English or duplicate texts...), appended to the status line.
function warningText(reply) {
  return reply && reply.warnings && reply.warnings.length ? " Warnings: " + reply.warnings.join(" · ") : "";
}

function busy(on) {
  $("progress").hidden = !on;
  $("run").disabled = on;
  $("run-form").setAttribute("aria-busy", on ? "true" : "false");
  clearInterval(timer);
  if (on) {
    const start = Date.now();
    say("Working…");
    timer = setInterval(() => say("Working… " + Math.round((Date.now() - start) / 1000) + " s"), 1000);
  }
}

function pastedTexts() {
  return $("texts").value.split(/\r?\n/).map((t) => t.trim()).filter((t) => t.length > 0);
}

// rows of {row, col, value} → {rows, cols, z}
function pivot(results, rowKey, colKey, valueKey) {
  const rows = [], cols = [], cells = new Map();
  for (const r of results) {
    if (!rows.includes(r[rowKey])) rows.push(r[rowKey]);
    if (!cols.includes(r[colKey])) cols.push(r[colKey]);
    cells.set(r[rowKey] + "\u0000" + r[colKey], r[valueKey]);
  }
  const z = rows.map((row) => cols.map((col) => cells.get(row + "\u0000" + col) ?? null));
  return {rows, cols, z};
}

// wide rows with a label column → {rows, cols, z}
function wide(results, labelKey) {
  const cols = results.length ? Object.keys(results[0]).filter((k) => k !== labelKey) : [];
  return {rows: results.map((r) => r[labelKey]), cols, z: results.map((r) => cols.map((c) => r[c]))};
}

// unordered pairs {a, b, r} → a symmetric matrix with a unit diagonal
function symmetric(pairs, aKey, bKey, valueKey) {
  const names = [];
  for (const p of pairs) for (const n of [p[aKey], p[bKey]]) if (!names.includes(n)) names.push(n);
  const index = new Map(names.map((n, i) => [n, i]));
  const z = names.map((_, i) => names.map((_, j) => (i === j ? 1 : null)));
  for (const p of pairs) {
    z[index.get(p[aKey])][index.get(p[bKey])] = p[valueKey];
    z[index.get(p[bKey])][index.get(p[aKey])] = p[valueKey];
  }
  return {rows: names, cols: names, z};
}

const short = (text) => (text.length > 48 ? text.slice(0, 47) + "…" : text);

async function run(event) {
  event.preventDefault();
  const analysis = $("analysis").value;
  const model = $("model").value;
  const taxonomy = $("taxonomy").value;
  const level = $("level").value;
  const texts = pastedTexts();
  if (analysis !== "predict-scales" && texts.length === 0) {
    say("Paste at least one text (one per line), or upload a file.");
    $("texts").focus();
    return;
  }
  busy(true);
  try {
    let envelope, matrix, profileLike = true;
    if (analysis === "similarity") {
      envelope = await post("/api/similarity", {texts, taxonomy, model, by: level});
      matrix = pivot(envelope.results, "sentence", level, "mean");
    } else if (analysis === "profile") {
      envelope = await post("/api/profile", {texts, taxonomy, level, model});
      matrix = pivot(envelope.results, "text", "construct", "score");
    } else if (analysis === "assign") {
      envelope = await post("/api/assign", {texts, taxonomy, level, model});
      matrix = wide((await post("/api/loadings", {texts, taxonomy, level, model})).results, "text");
    } else if (analysis === "correlate") {
      envelope = await post("/api/correlate", {texts, model});
      matrix = wide(envelope.results, "item");
      profileLike = false;
    } else {
      envelope = await post("/api/predict-scales",
                            {items: $("inventory").value, model, scale_prior: $("scale-prior").checked});
      matrix = symmetric(envelope.scales, "scale_a", "scale_b", "r");
      profileLike = false;
    }
    current = {analysis, envelope, matrix};
    show(analysis, envelope, matrix, profileLike);
    busy(false);
    say(`Done: ${envelope.results.length} rows from ${envelope.provenance.model ? envelope.provenance.model.id : "the server"}.` +
        warningText(envelope));
  } catch (error) {
    busy(false);
    say("Error: " + error.message);
  }
}

function show(analysis, envelope, matrix, profileLike) {
  const section = $("results");
  section.hidden = false;
  $("results-title").textContent = "Results: " + analysis;
  $("provenance").textContent = JSON.stringify(envelope.provenance, null, 1);
  drawTable(envelope.results);
  const reliability = analysis === "predict-scales" ? envelope.reliability || [] : [];
  $("reliability-wrap").hidden = reliability.length === 0;
  fillTable($("reliability-table"), reliability, false);
  drawHeatmap(matrix, analysis);
  $("profile-figure").hidden = !profileLike;
  $("map-figure").hidden = !profileLike || matrix.rows.length < 3;
  if (profileLike) drawProfile(matrix);
  if (profileLike && matrix.rows.length >= 3) drawMap(matrix);
  $("explanation").hidden = true;
}

function drawTable(results) {
  fillTable($("results-table"), results, canExplain() && current && explainKind(current.analysis) === "profile");
}

// The rows (at most TABLE_ROWS) of a result table; `why`: a "Why?" button per row (profile scores).
function fillTable(table, results, why) {
  const head = table.tHead, body = table.tBodies[0];
  head.replaceChildren(); body.replaceChildren();
  if (!results.length) return;
  const columns = Object.keys(results[0]);
  const tr = head.insertRow();
  for (const c of columns) { const th = document.createElement("th"); th.scope = "col"; th.textContent = c; tr.append(th); }
  if (why) { const th = document.createElement("th"); th.scope = "col"; th.textContent = "explain"; tr.append(th); }
  for (const row of results.slice(0, TABLE_ROWS)) {
    const line = body.insertRow();
    for (const c of columns) {
      const cell = line.insertCell();
      const value = row[c];
      cell.textContent = typeof value === "number" && !Number.isInteger(value) ? value.toFixed(4) : String(value ?? "");
      if (typeof value === "number") cell.className = "num";
    }
    if (why) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "why";
      button.textContent = "Why?";
      button.setAttribute("aria-label", `Explain the ${row.construct} score of ${row.text}`);
      button.addEventListener("click", () => explain(row.text, row.construct));
      line.insertCell().append(button);
    }
  }
  if (results.length > TABLE_ROWS) {
    const line = body.insertRow(), cell = line.insertCell();
    cell.colSpan = columns.length + (why ? 1 : 0);
    cell.textContent = `… ${results.length - TABLE_ROWS} more rows: download the CSV or Parquet file for all.`;
  }
}

const layout = (title, extra) => Object.assign({
  title: {text: title, font: {size: 15}}, margin: {l: 220, r: 20, t: 40, b: 120}, height: 460,
  font: {family: "system-ui, sans-serif", size: 12},
}, extra || {});

function drawHeatmap(matrix, analysis) {
  const signed = analysis !== "similarity";
  const bound = Math.max(1e-6, ...matrix.z.flat().filter((v) => v !== null).map((v) => Math.abs(v)));
  const trace = {
    type: "heatmap", z: matrix.z, x: matrix.cols.map(short), y: matrix.rows.map(short),
    customdata: matrix.rows.map((r) => matrix.cols.map((c) => [r, c])),
    hovertemplate: "%{customdata[0]}<br>%{customdata[1]}: %{z:.3f}<extra></extra>",
    colorscale: signed ? DIVERGING : "Blues", reversescale: !signed,
    zmid: signed ? 0 : undefined, zmin: signed ? -bound : undefined, zmax: signed ? bound : undefined,
  };
  Plotly.newPlot("heatmap", [trace], layout("Heatmap", {yaxis: {autorange: "reversed"}}),
                 {responsive: true, displaylogo: false});
  const chart = $("heatmap");
  chart.removeAllListeners && chart.removeAllListeners("plotly_click");
  chart.on("plotly_click", (data) => {
    const [text, construct] = data.points[0].customdata;
    explain(text, construct);
  });
}

function drawProfile(matrix) {
  const traces = matrix.rows.slice(0, 12).map((row, i) => ({
    type: "bar", name: short(row), x: matrix.cols, y: matrix.z[i],
  }));
  Plotly.newPlot("profile-chart", traces, layout("Profile", {barmode: "group", margin: {l: 60, r: 20, t: 40, b: 120},
                                                             legend: {orientation: "h", y: -0.35}}),
                 {responsive: true, displaylogo: false});
}

// First two principal components of the rows (power iteration with deflation).
function pca2(z) {
  const n = z.length, d = z[0].length;
  const mean = Array.from({length: d}, (_, j) => z.reduce((s, r) => s + (r[j] ?? 0), 0) / n);
  const x = z.map((r) => r.map((v, j) => (v ?? 0) - mean[j]));
  const cov = Array.from({length: d}, (_, a) => Array.from({length: d}, (_, b) =>
    x.reduce((s, r) => s + r[a] * r[b], 0) / Math.max(n - 1, 1)));
  const components = [];
  for (let k = 0; k < 2; k++) {
    let v = Array.from({length: d}, (_, j) => 1 / Math.sqrt(d) + j * 1e-3);
    for (let it = 0; it < 200; it++) {
      const w = cov.map((row) => row.reduce((s, c, j) => s + c * v[j], 0));
      const norm = Math.hypot(...w) || 1;
      v = w.map((c) => c / norm);
    }
    const lambda = v.reduce((s, vi, a) => s + vi * cov[a].reduce((t, c, b) => t + c * v[b], 0), 0);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a][b] -= lambda * v[a] * v[b];
    components.push(v);
  }
  return x.map((r) => components.map((v) => r.reduce((s, c, j) => s + c * v[j], 0)));
}

function drawMap(matrix) {
  const points = pca2(matrix.z);
  const trace = {
    type: "scatter", mode: "markers+text", x: points.map((p) => p[0]), y: points.map((p) => p[1]),
    text: matrix.rows.map((r) => short(r).slice(0, 24)), textposition: "top center",
    hovertext: matrix.rows, hoverinfo: "text", marker: {size: 10}, cliponaxis: false,
  };
  const padded = (values) => {
    const lo = Math.min(...values), hi = Math.max(...values), pad = 0.25 * (hi - lo || 1);
    return [lo - pad, hi + pad];
  };
  Plotly.newPlot("item-map", [trace], layout("Item map (PCA of the construct scores)", {
    margin: {l: 60, r: 20, t: 40, b: 60}, xaxis: {title: {text: "PC 1"}, range: padded(trace.x)},
    yaxis: {title: {text: "PC 2"}, range: padded(trace.y)},
  }), {responsive: true, displaylogo: false});
}

function canExplain() {
  const form = $("run-form");
  return form.dataset.explain === "yes" && form.dataset.analyses.split(",").includes("explain");
}

// Which score a cell of the current analysis is, for /api/explain (null: not explainable).
function explainKind(analysis) {
  if (analysis === "profile" || analysis === "assign") return "profile";
  if (analysis === "correlate") return "correlation";
  return null;
}

async function explain(text, target) {
  const kind = current && explainKind(current.analysis);
  if (!canExplain() || !kind || text === target) return;
  const box = $("explanation");
  box.hidden = false;
  $("explanation-body").textContent = `Explaining the ${kind} score of “${text}” on ${target}…`;
  try {
    const body = {text, target, score: kind, model: $("model").value, method: "occlusion"};
    if (kind === "profile") Object.assign(body, {taxonomy: $("taxonomy").value, level: $("level").value});
    const result = await post("/api/explain", body);
    const sentence = document.createElement("p");
    sentence.className = "explained";
    const bound = Math.max(1e-9, ...result.tokens.map((t) => Math.abs(t.attribution)));
    for (const token of result.tokens) {
      const word = document.createElement("span");
      const share = token.attribution / bound;
      word.textContent = token.token;
      word.title = `${token.token}: ${token.attribution.toFixed(4)}`;
      word.style.background = share >= 0 ? `rgba(178, 24, 43, ${0.75 * share})` : `rgba(33, 102, 172, ${-0.75 * share})`;
      sentence.append(word, " ");
    }
    const note = document.createElement("p");
    note.textContent = `${kind} score ${result.score.toFixed(4)} on ${target}; residual ${result.residual.toFixed(4)}. ` +
      "Red words raise the score, blue words lower it (occlusion: the fall of the score without the word).";
    const table = document.createElement("table");
    table.innerHTML = "<caption>Word attributions</caption><thead><tr><th scope='col'>word</th>" +
      "<th scope='col'>attribution</th></tr></thead>";
    const rows = table.createTBody();
    for (const token of result.tokens) {
      const line = rows.insertRow();
      line.insertCell().textContent = token.token;
      const cell = line.insertCell();
      cell.textContent = token.attribution.toFixed(4);
      cell.className = "num";
    }
    $("explanation-body").replaceChildren(sentence, note, table);
    box.focus();
  } catch (error) {
    $("explanation-body").textContent = "Error: " + error.message;
  }
}

async function download(format) {
  if (!current) return;
  const name = "traitlens-" + current.analysis;
  let blob;
  if (format === "json") {
    blob = new Blob([JSON.stringify(current.envelope, null, 1)], {type: "application/json"});
  } else {
    say("Preparing " + format + "…");
    const response = await fetch("/api/export?format=" + format, {
      method: "POST", headers: authHeaders(true),
      body: JSON.stringify({provenance: current.envelope.provenance, results: current.envelope.results}),
    });
    if (!response.ok) { say("Error: " + errorText(await response.json().catch(() => null), response.status)); return; }
    blob = await response.blob();
  }
  say(`Downloaded ${name}.${format}.`);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `${name}.${format}`;
  document.body.append(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}

async function upload() {
  const file = $("upload").files[0];
  if (!file) return;
  const body = new FormData();
  body.append("file", file);
  if ($("column").value.trim()) body.append("column", $("column").value.trim());
  busy(true);
  try {
    const response = await fetch("/api/upload", {method: "POST", headers: authHeaders(false), body});
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error(errorText(data, response.status));
    $("texts").value = data.texts.join("\n");
    busy(false);
    say(`Read ${data.texts.length} texts from column “${data.column}” of ${file.name}.` + warningText(data));
  } catch (error) {
    busy(false);
    say("Error: " + error.message);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("run-form").addEventListener("submit", run);
  $("upload").addEventListener("change", upload);
  $("example").addEventListener("click", () => {
    $("texts").value = JSON.parse($("run-form").dataset.example || "[]").join("\n");
    $("texts").focus();
  });
  $("download-csv").addEventListener("click", () => download("csv"));
  $("download-parquet").addEventListener("click", () => download("parquet"));
  $("download-json").addEventListener("click", () => download("json"));
  $("download-png").addEventListener("click", () =>
    Plotly.downloadImage("heatmap", {format: "png", filename: "traitlens-heatmap", width: 1100, height: 600}));
});
