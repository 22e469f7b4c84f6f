// ghostload serve page: the configuration form, the job's progress, the map, the charts, the files.
// Plain ES2020, no build step; Leaflet (vendor/leaflet) is the only library. Every request goes to
// this server (the Content-Security-Policy allows nothing else, except map tiles when the server
// was given --tile-url).
"use strict";

// Errors and warnings are recorded for the browser test (tests/serve_page.rs) and still printed.
window.__ghostloadErrors = [];
(function hookConsole() {
  const record = (kind, args) => {
    try {
      window.__ghostloadErrors.push(kind + ": " + Array.from(args).map(String).join(" "));
    } catch (_) {
      /* never throw from the hook */
    }
  };
  for (const level of ["error", "warn"]) {
    const original = console[level].bind(console);
    console[level] = (...args) => {
      record("console." + level, args);
      original(...args);
    };
  }
  window.addEventListener("error", (e) => record("error", [e.message, e.filename + ":" + e.lineno]));
  window.addEventListener("unhandledrejection", (e) => record("unhandledrejection", [e.reason]));
  document.addEventListener("securitypolicyviolation", (e) =>
    record("csp", [e.violatedDirective, e.blockedURI]),
  );
})();

const $ = (sel) => document.querySelector(sel);
const SVG_NS = "http://www.w3.org/2000/svg";

// ---------------------------------------------------------------------------------------------
// API access (a ?token= in the page URL is remembered for the tab and sent as a Bearer token)

const TOKEN = (() => {
  const params = new URLSearchParams(location.search);
  const given = params.get("token");
  try {
    if (given) sessionStorage.setItem("ghostload-token", given);
    return given || sessionStorage.getItem("ghostload-token") || null;
  } catch (_) {
    return given;
  }
})();

function authHeaders(extra) {
  const h = Object.assign({}, extra || {});
  if (TOKEN) h.Authorization = "Bearer " + TOKEN;
  return h;
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || "HTTP " + status);
    this.status = status;
    this.body = body || {};
  }
}

async function api(path, options) {
  const opts = Object.assign({}, options || {});
  opts.headers = authHeaders(opts.headers);
  const resp = await fetch(path, opts);
  const text = await resp.text();
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch (_) {
      body = { error: text };
    }
  }
  if (!resp.ok) throw new ApiError(resp.status, body);
  return body;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, String(v));
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

const fmtInt = (n) => (n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US"));
function fmtNum(n) {
  if (n === null || n === undefined || !isFinite(n)) return "–";
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(a >= 1e10 ? 0 : 1) + "G";
  if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
  if (a >= 1e4) return (n / 1e3).toFixed(0) + "k";
  if (a >= 1e3) return (n / 1e3).toFixed(1) + "k";
  if (a >= 10 || a === 0) return n.toFixed(0);
  return n.toFixed(a >= 1 ? 1 : 2);
}
const fmtPct = (x) => (x === null || x === undefined ? "n/a" : (100 * x).toFixed(1) + " %");
function fmtBytes(b) {
  if (b < 1024) return b + " B";
  if (b < 1024 * 1024) return (b / 1024).toFixed(1) + " KiB";
  if (b < 1024 ** 3) return (b / 1024 / 1024).toFixed(1) + " MiB";
  return (b / 1024 ** 3).toFixed(2) + " GiB";
}
// Leaflet puts string tooltips in innerHTML; names come from the configuration, so pass elements.
const textNode = (text) => el("span", { text });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const humanize = (key) => key.replace(/_/g, " ");

// ---------------------------------------------------------------------------------------------
// The configuration form, built from GET /api/presets

// Keys a preset's JSON leaves out while they hold their default (serde skips them); offered anyway.
const EXTRA_FIELDS = {
  resolution: { value: "monthly", choices: ["monthly", "daily", "hourly", "15min"] },
  timezone: { value: "Asia/Manila" },
  missing_rate: { value: 0 },
  missing_run_hours: { value: 6 },
  register_resolution_kwh: { value: 0.001, choices: [0.001, 0.01] },
};
const ENUM_CHOICES = {
  severity_window: ["series", "event"],
  resolution: ["monthly", "daily", "hourly", "15min"],
  register_resolution_kwh: [0.001, 0.01],
};
const MIX_KEYS = new Set(["anomaly_mix", "benign_mix"]);

// The server's JSON lists keys alphabetically; the form and the summary follow the TOML schema's order.
const KEY_ORDER = [
  "seed", "num_transformers", "num_meters", "num_months", "start_month", "anomaly_rate", "benign_rate",
  "severity_window", "min_normal_periods", "spatial_clustering_strength", "min_meters_per_transformer",
  "transformers_per_feeder", "meter_spread_m", "barangays", "max_kwh", "resolution", "timezone",
  "missing_rate", "missing_run_hours", "register_resolution_kwh",
  "lat_min", "lat_max", "lon_min", "lon_max", "residential", "commercial", "industrial",
  "min_kva", "max_kva", "median_kva", "sigma",
];
const SUMMARY_ORDER = ["transformers", "feeders", "meters", "periods", "anomalous_meters", "anomaly_rate", "benign_meters"];
const KEY_TABLE_ORDER = ["anomaly_mix", "benign_mix", "bounds", "class_mix", "capacity", "consumption"];
function ordered(obj, tables, order) {
  order = order || (tables ? KEY_TABLE_ORDER : KEY_ORDER);
  const rank = (k) => {
    const i = order.indexOf(k);
    return i < 0 ? order.length : i;
  };
  return Object.entries(obj).sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}
const entriesOf = (obj) => {
  const scalars = ordered(obj, false).filter(([, v]) => v === null || typeof v !== "object" || Array.isArray(v));
  const tables = ordered(obj, true).filter(([, v]) => v !== null && typeof v === "object" && !Array.isArray(v));
  return scalars.concat(tables);
};

const state = {
  presets: {},
  presetName: null,
  fields: [], // {path: [...], kind, input, base}
  job: null,
  map: null,
  layers: null,
  selectedMeter: null,
};

// A number typed into a field, kept as its literal so integers above 2^53 (a seed) survive.
class RawNumber {
  constructor(text) {
    this.text = text;
  }
}

function toJson(v) {
  if (v instanceof RawNumber) return v.text;
  if (Array.isArray(v)) return "[" + v.map(toJson).join(",") + "]";
  if (v && typeof v === "object") {
    return "{" + Object.entries(v).map(([k, x]) => JSON.stringify(k) + ":" + toJson(x)).join(",") + "}";
  }
  return JSON.stringify(v);
}

function fieldId(path) {
  return "cfg-" + path.join("-").replace(/[^A-Za-z0-9_-]/g, "_");
}

function buildForm(config) {
  const root = $("#config-fields");
  root.replaceChildren();
  state.fields = [];
  const extras = {};
  for (const [k, spec] of Object.entries(EXTRA_FIELDS)) if (!(k in config)) extras[k] = spec;
  const top = el("fieldset", {}, el("legend", { text: "Dataset" }));
  const tables = [];
  for (const [key, value] of entriesOf(config)) {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) tables.push([key, value]);
    else top.append(makeField([key], value));
  }
  root.append(top);
  if (Object.keys(extras).length) {
    const fs = el("fieldset", {}, el("legend", { text: "Interval data (at their defaults)" }));
    for (const [k, spec] of Object.entries(extras)) fs.append(makeField([k], spec.value, spec.choices, true));
    root.append(fs);
  }
  for (const [key, value] of tables) root.append(makeTable([key], value, 0));
  for (const f of state.fields) f.input.addEventListener("input", () => markChanged(f));
}

function makeTable(path, obj, depth) {
  const key = path[path.length - 1];
  const fs = el("fieldset", { "data-path": path.join(".") });
  if (MIX_KEYS.has(key)) {
    fs.append(el("legend", { text: humanize(key) + " (weights)" }));
  } else {
    fs.append(el("legend", { text: humanize(key) }));
  }
  const inner = [];
  for (const [k, v] of entriesOf(obj)) {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) inner.push(makeTable(path.concat(k), v, depth + 1));
    else fs.append(makeField(path.concat(k), v));
  }
  for (const t of inner) fs.append(t);
  const count = fs.querySelectorAll("input, select, textarea").length;
  if (depth === 0 && count > 6 && !MIX_KEYS.has(key)) {
    // Long tables fold away (a field with an error opens its table).
    const legend = fs.querySelector("legend");
    const det = el("details", {}, el("summary", { text: count + " fields" }));
    for (const c of Array.from(fs.childNodes)) if (c !== legend) det.append(c);
    fs.append(det);
  }
  return fs;
}

function makeField(path, value, choices, extra) {
  const id = fieldId(path);
  const key = path[path.length - 1];
  const label = el("label", { for: id, text: humanize(key) });
  let input;
  let kind;
  const enumChoices = choices || (path.length === 1 ? ENUM_CHOICES[key] : null);
  if (enumChoices) {
    kind = typeof value === "number" ? "number" : "string";
    input = el("select", { id, name: path.join(".") });
    for (const c of enumChoices) input.append(el("option", { value: String(c), text: String(c) }));
    input.value = String(value);
  } else if (typeof value === "boolean") {
    kind = "boolean";
    input = el("input", { id, type: "checkbox", name: path.join(".") });
    input.checked = value;
  } else if (typeof value === "number") {
    kind = "number";
    input = el("input", { id, type: "number", step: "any", name: path.join("."), inputmode: "decimal" });
    input.value = String(value);
  } else if (Array.isArray(value)) {
    kind = "array";
    input = el("textarea", { id, name: path.join("."), rows: 3, "aria-describedby": id + "-hint" });
    input.value = value.every((v) => typeof v === "string") ? value.join("\n") : JSON.stringify(value);
  } else if (value === null) {
    kind = "json";
    input = el("input", { id, type: "text", name: path.join("."), placeholder: "null (default)" });
    input.value = "";
  } else {
    kind = "string";
    input = el("input", { id, type: "text", name: path.join(".") });
    input.value = String(value);
  }
  const row = el("div", { class: "field" + (kind === "array" ? " wide" : "") }, label, input);
  if (kind === "array") row.append(el("small", { id: id + "-hint", class: "hint", text: "one per line" }));
  const f = { path, kind, input, row, base: value, extra: !!extra, arrayOfStrings: kind === "array" && value.every((v) => typeof v === "string") };
  state.fields.push(f);
  return row;
}

// The field's current value, or throws a message for the field.
function readField(f) {
  const raw = f.input.value;
  switch (f.kind) {
    case "boolean":
      return f.input.checked;
    case "number": {
      const t = raw.trim();
      if (t === "" || !isFinite(Number(t))) throw new Error("a number is required");
      return /^-?\d+$/.test(t) ? new RawNumber(t.replace(/^(-?)0+(?=\d)/, "$1")) : Number(t);
    }
    case "array":
      if (f.arrayOfStrings) return raw.split("\n").map((s) => s.trim()).filter((s) => s !== "");
      try {
        return JSON.parse(raw);
      } catch (_) {
        throw new Error("a JSON array is required");
      }
    case "json":
      if (raw.trim() === "") return null;
      try {
        return JSON.parse(raw);
      } catch (_) {
        return raw;
      }
    default:
      return raw;
  }
}

function sameValue(a, b) {
  if (a instanceof RawNumber) return typeof b === "number" && Number(a.text) === b && Number.isSafeInteger(b);
  if (typeof a === "number" || typeof b === "number") return Number(a) === Number(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

function markChanged(f) {
  let changed;
  try {
    changed = !sameValue(readField(f), f.base);
  } catch (_) {
    changed = true;
  }
  f.row.classList.toggle("changed", changed);
}

// The JSON body: only what differs from the preset; a mix goes whole when any weight changed.
function formBody() {
  const body = {};
  const errors = [];
  const mixes = {};
  for (const f of state.fields) {
    let v;
    try {
      v = readField(f);
    } catch (e) {
      errors.push([f.path.join("."), e.message]);
      continue;
    }
    if (MIX_KEYS.has(f.path[0])) {
      const m = (mixes[f.path[0]] = mixes[f.path[0]] || { changed: false, value: {} });
      m.value[f.path[1]] = v;
      if (!sameValue(v, f.base)) m.changed = true;
      continue;
    }
    if (sameValue(v, f.base)) continue;
    let obj = body;
    for (const k of f.path.slice(0, -1)) obj = obj[k] = obj[k] || {};
    obj[f.path[f.path.length - 1]] = v;
  }
  for (const [k, m] of Object.entries(mixes)) if (m.changed) body[k] = m.value;
  return { body, errors };
}

function clearFieldErrors() {
  for (const e of document.querySelectorAll(".field-error")) e.remove();
  for (const e of document.querySelectorAll(".invalid")) e.classList.remove("invalid");
  const fe = $("#form-error");
  fe.hidden = true;
  fe.textContent = "";
}

function showFieldError(path, message) {
  const f = path ? state.fields.find((x) => x.path.join(".") === path) : null;
  const fallback = path
    ? state.fields.find((x) => path === x.path[0] || path.startsWith(x.path.join(".") + ".") || x.path.join(".").startsWith(path + "."))
    : null;
  const target = f || fallback;
  const fe = $("#form-error");
  if (target) {
    const id = target.input.id + "-error";
    target.input.classList.add("invalid");
    target.input.setAttribute("aria-describedby", id);
    target.row.after(el("p", { class: "field-error", id, role: "alert", text: message }));
    // Open a folded table so the message is seen.
    const det = target.row.closest("details");
    if (det) det.open = true;
    target.input.focus();
  }
  fe.hidden = false;
  fe.textContent = (path ? path + ": " : "") + message;
}

function describeError(err) {
  const b = err.body || {};
  let msg = b.error || err.message;
  if (b.allowed) msg += " (allowed: " + b.allowed + ")";
  return msg;
}

// ---------------------------------------------------------------------------------------------
// Generating: POST, poll, then load the results

async function onSubmit(ev) {
  ev.preventDefault();
  clearFieldErrors();
  const { body, errors } = formBody();
  if (errors.length) {
    for (const [p, m] of errors) showFieldError(p, m);
    return;
  }
  const btn = $("#generate");
  btn.disabled = true;
  setJobStatus("Submitting…", "");
  $("#progress").value = 0;
  try {
    const q = state.presetName ? "?preset=" + encodeURIComponent(state.presetName) : "";
    const created = await api("/api/datasets" + q, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: toJson(body),
    });
    await follow(created.url || "/api/datasets/" + created.id);
  } catch (err) {
    if (err instanceof ApiError) {
      showFieldError(err.body.field || null, describeError(err));
      setJobStatus("Refused (" + err.status + "): " + describeError(err), "failed");
    } else {
      setJobStatus("Failed: " + err.message, "failed");
    }
  } finally {
    btn.disabled = false;
  }
}

function setJobStatus(text, cls) {
  const s = $("#job-status");
  s.textContent = text;
  s.className = "job-status " + (cls || "");
}

async function follow(url) {
  let status;
  let delay = 200;
  for (;;) {
    status = await api(url);
    const p = status.progress || {};
    const frac = status.state === "done" ? 1 : p.fraction || 0;
    $("#progress").value = frac;
    $("#progress").textContent = Math.round(frac * 100) + " %";
    const counts = p.meters_total ? " " + fmtInt(p.meters_done) + " / " + fmtInt(p.meters_total) + " meters" : "";
    setJobStatus(status.state + counts + " (" + status.id + ")", status.state === "done" ? "done" : "");
    if (["done", "failed", "cancelled"].includes(status.state)) break;
    await sleep(delay);
    delay = Math.min(delay * 1.3, 1000);
  }
  if (status.state !== "done") {
    setJobStatus(status.state + ": " + (status.error || "no detail"), "failed");
    return;
  }
  await showDataset(status);
}

async function showDataset(status) {
  state.job = status;
  const base = "/api/datasets/" + encodeURIComponent(status.id);
  renderDownloads(status);
  renderSummary(status);
  const [map, charts] = await Promise.all([api(base + "/map"), api(base + "/charts")]);
  renderCharts(charts);
  renderMap(map, base);
  setJobStatus("done: " + fmtInt(map.transformers.length) + " transformers, " + fmtInt(map.meters_total) + " meters (" + status.id + ")", "done");
  document.body.dataset.datasetState = "done";
  document.body.dataset.datasetId = status.id;
}

// ---------------------------------------------------------------------------------------------
// Summary, checks and downloads

function renderSummary(status) {
  const s = status.summary || {};
  const eb = status.energy_balance || {};
  const box = $("#summary");
  box.replaceChildren();
  const item = (label, value) => box.append(el("span", {}, label + ": ", el("b", { text: value })));
  for (const [k, v] of ordered(s, false, SUMMARY_ORDER)) {
    if (typeof v === "number") item(humanize(k), /(_rate|_share)$/.test(k) ? fmtPct(v) : Number.isInteger(v) ? fmtInt(v) : fmtNum(v));
    else if (typeof v === "string" && v.length < 40) item(humanize(k), v);
  }
  for (const [k, v] of ordered(eb, false, SUMMARY_ORDER)) {
    if (k in s) continue;
    if (typeof v === "number") item(humanize(k), /_share$/.test(k) ? fmtPct(v) : Number.isInteger(v) ? fmtInt(v) : fmtNum(v));
    else if (Array.isArray(v)) item(humanize(k), fmtInt(v.length));
  }
  const checks = $("#checks");
  checks.replaceChildren();
  if (status.checks && status.checks.length) {
    const failed = status.checks.filter((c) => !c.passed);
    checks.append(
      el("p", {
        class: failed.length ? "fail" : "",
        text: failed.length
          ? failed.length + " of " + status.checks.length + " checks failed: " + failed.map((c) => c.name + " (" + c.detail + ")").join("; ")
          : "All " + status.checks.length + " checks passed.",
      }),
    );
  }
}

function downloadLink(href, text, name) {
  const a = el("a", { href, download: name || "", text });
  if (TOKEN) {
    // A plain link cannot carry the Bearer header: fetch the file and hand it over as a blob.
    a.addEventListener("click", async (e) => {
      e.preventDefault();
      try {
        const resp = await fetch(href, { headers: authHeaders() });
        if (!resp.ok) throw new Error("HTTP " + resp.status);
        const url = URL.createObjectURL(await resp.blob());
        const tmp = el("a", { href: url, download: name || "download" });
        document.body.append(tmp);
        tmp.click();
        tmp.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      } catch (err) {
        setJobStatus("Download failed: " + err.message, "failed");
      }
    });
  }
  return a;
}

function renderDownloads(status) {
  const box = $("#downloads");
  box.replaceChildren();
  const ul = el("ul");
  for (const f of status.files || []) {
    const short = f.name.split("/").pop();
    ul.append(el("li", {}, downloadLink(f.url, f.name, short), el("span", { class: "size", text: fmtBytes(f.bytes) })));
  }
  box.append(ul);
  if (status.archive_url) {
    box.append(el("p", { class: "archive" }, downloadLink(status.archive_url, "Everything as one zip archive", "ghostload-" + status.id + ".zip")));
  }
}

// ---------------------------------------------------------------------------------------------
// SVG charts

const W = 520;

function emptyChart(box, text) {
  box.replaceChildren(el("p", { class: "empty", text }));
}

function barChart(box, entries, opts) {
  opts = opts || {};
  if (!entries.length) return emptyChart(box, opts.empty || "None.");
  const rowH = 22;
  const labelW = 150;
  const H = entries.length * rowH + 10;
  const max = Math.max(1, ...entries.map((e) => e[1]));
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.title || "bar chart" });
  entries.forEach(([name, value], i) => {
    const y = 5 + i * rowH;
    const w = ((W - labelW - 60) * value) / max;
    s.append(svg("text", { x: labelW - 6, y: y + 14, "text-anchor": "end", text: humanize(name) }));
    const bar = svg("rect", { class: "bar", x: labelW, y: y + 2, width: Math.max(w, 1), height: rowH - 6 });
    if (opts.colors && opts.colors[name]) bar.style.fill = opts.colors[name];
    bar.append(svg("title", { text: humanize(name) + ": " + fmtInt(value) }));
    s.append(bar);
    s.append(svg("text", { x: labelW + w + 5, y: y + 14, text: fmtInt(value) }));
  });
  box.replaceChildren(s);
}

// A line chart: series [{values, color, dashed, label, area}], windows [{from, to, cls, label}].
function lineChart(box, periods, series, opts) {
  opts = opts || {};
  const H = opts.height || 240;
  const m = { l: 58, r: 14, t: 10, b: 36 };
  const n = periods.length;
  const all = series.flatMap((s) => s.values.filter((v) => v !== null && isFinite(v)));
  if (!n || !all.length) return emptyChart(box, opts.empty || "No data.");
  let lo = Math.min(0, ...all);
  let hi = Math.max(...all);
  if (hi === lo) hi = lo + 1;
  const x = (i) => m.l + (n === 1 ? (W - m.l - m.r) / 2 : ((W - m.l - m.r) * i) / (n - 1));
  const y = (v) => m.t + (H - m.t - m.b) * (1 - (v - lo) / (hi - lo));
  const step = n > 1 ? x(1) - x(0) : W - m.l - m.r;
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.title || "line chart" });
  // grid and y axis
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    s.append(svg("line", { class: "grid", x1: m.l, x2: W - m.r, y1: y(v), y2: y(v) }));
    s.append(svg("text", { x: m.l - 5, y: y(v) + 4, "text-anchor": "end", text: fmtNum(v) }));
  }
  // shaded windows
  for (const w of opts.windows || []) {
    const from = Math.max(0, w.from);
    const to = Math.min(n - 1, w.to === null || w.to === undefined ? n - 1 : w.to);
    const x0 = Math.max(m.l, x(from) - step / 2);
    const x1 = Math.min(W - m.r, x(to) + step / 2);
    const r = svg("rect", { class: w.cls, x: x0, y: m.t, width: Math.max(2, x1 - x0), height: H - m.t - m.b });
    r.append(svg("title", { text: w.label }));
    s.append(r);
  }
  s.append(svg("line", { class: "axis", x1: m.l, x2: W - m.r, y1: y(lo), y2: y(lo) }));
  s.append(svg("line", { class: "axis", x1: m.l, x2: m.l, y1: m.t, y2: H - m.b }));
  // x labels: at most ~8
  const every = Math.max(1, Math.ceil(n / 8));
  periods.forEach((p, i) => {
    if (i % every === 0 || i === n - 1) {
      const anchor = n > 1 && i === n - 1 ? "end" : i === 0 && n > 1 ? "start" : "middle";
      s.append(svg("text", { x: x(i) + (anchor === "start" ? -8 : anchor === "end" ? 8 : 0), y: H - m.b + 16, "text-anchor": anchor, text: p }));
    }
  });
  if (opts.unit) {
    const cy = (m.t + H - m.b) / 2;
    s.append(svg("text", { x: 12, y: cy, transform: `rotate(-90 12 ${cy})`, "text-anchor": "middle", text: opts.unit }));
  }
  const legend = el("div", { class: "chart-legend" });
  for (const ser of series) {
    const pts = [];
    ser.values.forEach((v, i) => {
      if (v !== null && isFinite(v)) pts.push([x(i), y(v)]);
    });
    if (ser.area) {
      const d = "M" + pts.map((p) => p.join(",")).join(" L") + ` L${pts[pts.length - 1][0]},${y(Math.max(lo, 0))} L${pts[0][0]},${y(Math.max(lo, 0))} Z`;
      const a = svg("path", { class: "ntl-area", d });
      a.style.fill = ser.color;
      s.append(a);
    } else {
      const line = svg("polyline", { class: "line " + (ser.cls || ""), points: pts.map((p) => p.join(",")).join(" ") });
      line.style.stroke = ser.color;
      if (ser.dashed) line.setAttribute("stroke-dasharray", "6 4");
      s.append(line);
      if (n <= 60) {
        pts.forEach(([px, py], i) => {
          const c = svg("circle", { cx: px, cy: py, r: 2.2 });
          c.style.fill = ser.color;
          c.append(svg("title", { text: ser.label + " " + periods[i] + ": " + fmtNum(ser.values[i]) + " kWh" }));
          s.append(c);
        });
      }
    }
    const span = el("span", { class: (ser.dashed ? "dashed" : "") + (ser.area ? " area" : ""), text: ser.label });
    span.style.setProperty("--c", ser.color);
    legend.append(span);
  }
  for (const w of opts.windows || []) {
    const span = el("span", { class: "area", text: w.label });
    span.style.setProperty("--c", w.cls === "injected-window" ? "#d7301f" : "#6a51a3");
    legend.append(span);
  }
  box.replaceChildren(s, legend);
  if (opts.meta) box.append(el("p", { class: "meta", text: opts.meta }));
}

const RISK_COLORS = { Low: "#fdae61", Medium: "#f46d43", High: "#a50026" };
const EVENT_COLORS = {
  vacancy: "#4575b4",
  new_connection: "#74add1",
  solar_install: "#1b9e77",
  outage: "#7570b3",
  missing_data: "#5e3c99",
};
const OTHER_EVENT_COLOR = "#8c6bb1";
const NORMAL_COLOR = "#8a8f98";

function renderCharts(c) {
  const order = (obj, keys) => {
    const out = [];
    for (const k of keys || []) if (obj && k in obj) out.push([k, obj[k]]);
    for (const [k, v] of Object.entries(obj || {})) if (!(keys || []).includes(k)) out.push([k, v]);
    return out;
  };
  barChart($("#chart-class-mix"), order(c.class_mix, ["residential", "commercial", "industrial"]), { title: "meters per customer class" });
  barChart($("#chart-risk-bands"), order(c.risk_bands, ["Low", "Medium", "High"]), {
    title: "anomalous meters per risk band",
    colors: RISK_COLORS,
    empty: "No anomalous meters.",
  });
  barChart(
    $("#chart-anomaly-types"),
    order(c.anomaly_types).sort((a, b) => b[1] - a[1]),
    { title: "meters per anomaly type", empty: "No anomalies." },
  );
  const mt = c.monthly_totals || { periods: [], kwh: [] };
  lineChart($("#chart-monthly"), mt.periods, [{ values: mt.kwh, color: "#1f5fbf", label: "billed kWh, all meters" }], {
    title: "monthly total consumption",
    unit: "kWh",
  });
}

async function showMeter(base, id) {
  const box = $("#meter-chart");
  $("#meter-title").textContent = "Meter " + id;
  emptyChart(box, "Loading…");
  try {
    const m = await api(base + "/meters/" + encodeURIComponent(id));
    const series = [{ values: m.kwh, color: "#1f5fbf", label: "billed kWh" }];
    if (m.true_kwh) series.push({ values: m.true_kwh, color: "#333333", dashed: true, label: "true consumption" });
    const windows = [];
    let meta = "Normal meter.";
    if (m.label) {
      windows.push({ from: m.label.onset, to: m.label.end, cls: "injected-window", label: "injected: " + humanize(m.label.anomaly_type) });
      meta = `${humanize(m.label.anomaly_type)} from ${m.periods[m.label.onset] || m.label.onset}` +
        (m.label.end !== null && m.label.end !== undefined ? ` to ${m.periods[m.label.end] || m.label.end}` : " on") +
        `; risk band ${m.label.risk_band}, severity ${m.label.severity !== undefined ? Number(m.label.severity).toFixed(2) : "n/a"}` +
        (m.label.is_theft ? "; theft" : "");
    }
    for (const e of m.events || []) {
      if (e.is_anomaly) continue;
      windows.push({ from: e.onset, to: e.end, cls: "event-window", label: "benign: " + humanize(e.event_type) });
      meta += ` Benign event: ${humanize(e.event_type)} from ${m.periods[e.onset] || e.onset}.`;
    }
    lineChart(box, m.periods, series, { windows, title: "meter " + id + " consumption", unit: "kWh", meta });
  } catch (err) {
    emptyChart(box, "Could not load meter " + id + ": " + describeError(err));
  }
}

async function showTransformer(base, tx) {
  const box = $("#transformer-chart");
  $("#transformer-title").textContent = "Transformer " + tx.id + ": energy balance";
  emptyChart(box, "Loading…");
  try {
    const t = await api(base + "/transformers/" + encodeURIComponent(tx.id));
    lineChart(
      box,
      t.periods,
      [
        { values: t.non_technical_loss_kwh, color: "#d7301f", label: "non-technical loss (ghost load)", area: true },
        { values: t.reading_kwh, color: "#1d2330", label: "transformer meter reading" },
        { values: t.billed_kwh, color: "#1f5fbf", label: "billed (sum of meters)" },
        { values: t.true_kwh, color: "#1b9e77", dashed: true, label: "true consumption" },
        { values: t.technical_loss_kwh, color: "#e6a100", label: "technical loss" },
      ],
      {
        title: "transformer " + tx.id + " energy balance",
        unit: "kWh",
        meta: `${fmtNum(tx.capacity_kva)} kVA, ${tx.num_meters} meters (${tx.anomalous_meters} anomalous, ${tx.theft_meters} theft); ghost-load share ${fmtPct(tx.ghost_load_share)}${tx.overloaded ? "; overloaded" : ""}.`,
      },
    );
  } catch (err) {
    if (err.status === 404) emptyChart(box, "No energy balance for this dataset (balance is off).");
    else emptyChart(box, "Could not load transformer " + tx.id + ": " + describeError(err));
  }
}

// ---------------------------------------------------------------------------------------------
// The map

// Ghost-load share → colour: green (0) through yellow and orange to dark red (≥ 15 %).
const SHARE_MAX = 0.15;
const SHARE_STOPS = [
  [0, [26, 152, 80]],
  [0.33, [254, 224, 139]],
  [0.66, [244, 109, 67]],
  [1, [165, 0, 38]],
];
function shareColor(share) {
  if (share === null || share === undefined || !isFinite(share)) return "#9aa0a8";
  const t = Math.max(0, Math.min(1, share / SHARE_MAX));
  for (let i = 1; i < SHARE_STOPS.length; i++) {
    const [t1, c1] = SHARE_STOPS[i];
    const [t0, c0] = SHARE_STOPS[i - 1];
    if (t <= t1) {
      const u = (t - t0) / (t1 - t0);
      const c = c0.map((v, k) => Math.round(v + (c1[k] - v) * u));
      return `rgb(${c[0]},${c[1]},${c[2]})`;
    }
  }
  return "rgb(165,0,38)";
}

function meterStyle(m) {
  if (m.risk_band) return { color: RISK_COLORS[m.risk_band] || "#a50026", cls: "meter-" + m.risk_band.toLowerCase(), kind: m.risk_band + " risk" };
  if (m.anomaly_type) return { color: "#a50026", cls: "meter-anomaly", kind: "anomaly" };
  if (m.event_type) return { color: EVENT_COLORS[m.event_type] || OTHER_EVENT_COLOR, cls: "meter-event", kind: humanize(m.event_type) };
  return { color: NORMAL_COLOR, cls: "meter-normal", kind: "normal" };
}

function initMap(tileUrl) {
  const map = L.map("map", { zoomControl: true, attributionControl: !!tileUrl, preferCanvas: false });
  map.setView([14.6, 121.0], 11);
  if (tileUrl) {
    L.tileLayer(tileUrl, { maxZoom: 19, attribution: "Map tiles: " + new URL(tileUrl.replace(/[{}]/g, ""), location.href).host }).addTo(map);
  }
  state.map = map;
  state.canvas = L.canvas({ padding: 0.2 });
  addLegend(map);
}

function addLegend(map) {
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const d = el("div", { class: "legend" });
    d.append(el("h3", { text: "Transformers" }), el("div", { text: "size: capacity (kVA)" }));
    d.append(el("div", { text: "colour: ghost-load share" }));
    d.append(el("span", { class: "ramp", "aria-hidden": "true" }));
    d.append(el("div", { class: "ramp-labels" }, el("span", { text: "0 %" }), el("span", { text: "7.5 %" }), el("span", { text: "≥ 15 %" })));
    d.append(el("div", { text: "thick black ring: overloaded" }));
    d.append(el("h3", { text: "Meters" }));
    const row = (color, text) => {
      const sw = el("span", { class: "swatch" });
      sw.style.background = color;
      d.append(el("div", { class: "row" }, sw, el("span", { text })));
    };
    for (const [band, c] of Object.entries(RISK_COLORS)) row(c, band + " risk anomaly");
    for (const [ev, c] of Object.entries(EVENT_COLORS)) if (ev !== "missing_data") row(c, "benign: " + humanize(ev));
    row(NORMAL_COLOR, "normal");
    L.DomEvent.disableClickPropagation(d);
    return d;
  };
  legend.addTo(map);

  // "Show all": back to the whole dataset after zooming to a transformer.
  const fit = L.control({ position: "topleft" });
  fit.onAdd = () => {
    const b = el("button", { type: "button", id: "map-fit", class: "map-fit", title: "Show the whole dataset", text: "Show all" });
    L.DomEvent.disableClickPropagation(b);
    b.addEventListener("click", () => {
      if (state.layers && state.layers.getBounds().isValid()) map.fitBounds(state.layers.getBounds(), { padding: [20, 20] });
    });
    return b;
  };
  fit.addTo(map);
}

function renderMap(data, base) {
  const map = state.map;
  if (state.layers) state.layers.remove();
  const group = L.featureGroup().addTo(map);
  state.layers = group;

  // Barangays: their names at their centres, so the map reads without tiles.
  for (const b of data.barangays || []) {
    L.circleMarker([b.lat, b.lon], { radius: 2, color: "#1d2330", weight: 1, fillOpacity: 1, interactive: false, className: "barangay-centre" })
      .bindTooltip(textNode(b.name), { permanent: true, direction: "top", className: "barangay-label", offset: [0, -4] })
      .addTo(group);
  }

  const metersByTx = new Map();
  for (const m of data.meters) {
    if (!metersByTx.has(m.transformer_id)) metersByTx.set(m.transformer_id, []);
    metersByTx.get(m.transformer_id).push([m.lat, m.lon]);
  }

  // Meters: normal ones on a canvas when there are many (fast), flagged ones as SVG (countable).
  const manyMeters = data.meters.length > 3000;
  for (const m of data.meters) {
    const st = meterStyle(m);
    const flagged = st.cls !== "meter-normal";
    const opts = {
      radius: flagged ? 5 : 3,
      color: flagged ? "#222" : st.color,
      weight: flagged ? 0.8 : 0.5,
      fillColor: st.color,
      fillOpacity: flagged ? 0.95 : 0.6,
      className: "meter-marker " + st.cls,
    };
    if (!flagged && manyMeters) opts.renderer = state.canvas;
    const mk = L.circleMarker([m.lat, m.lon], opts).addTo(group);
    mk.bindTooltip(textNode(`${m.id} (${st.kind}${m.anomaly_type ? ": " + humanize(m.anomaly_type) : ""})`));
    mk.on("click", () => showMeter(base, m.id));
    if (mk._path) {
      mk._path.setAttribute("data-meter-id", m.id);
      if (m.anomaly_type) mk._path.setAttribute("data-anomaly", m.anomaly_type);
    }
  }

  // Transformers on top: radius by capacity, colour by ghost-load share.
  const caps = data.transformers.map((t) => t.capacity_kva);
  const cmin = Math.min(...caps);
  const cmax = Math.max(...caps);
  for (const t of data.transformers) {
    const u = cmax > cmin ? (t.capacity_kva - cmin) / (cmax - cmin) : 0.5;
    const mk = L.circleMarker([t.lat, t.lon], {
      radius: 6 + 10 * Math.sqrt(u),
      color: t.overloaded ? "#000" : "#1d2330",
      weight: t.overloaded ? 3 : 1.5,
      fillColor: shareColor(t.ghost_load_share),
      fillOpacity: 0.85,
      className: "tx-marker",
    }).addTo(group);
    mk.bindTooltip(textNode(`${t.id}: ${fmtNum(t.capacity_kva)} kVA, ghost load ${fmtPct(t.ghost_load_share)}`));
    mk.on("click", () => {
      showTransformer(base, t);
      // Zoom to the transformer's meters so they can be told apart and clicked.
      const own = metersByTx.get(t.id) || [];
      if (own.length) map.fitBounds(L.latLngBounds(own.concat([[t.lat, t.lon]])), { padding: [40, 40], maxZoom: 17 });
    });
    mk._path.setAttribute("data-tx-id", t.id);
  }

  const bounds = group.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20] });
  const note = $("#map-note");
  note.textContent =
    `${fmtInt(data.transformers.length)} transformers, ${fmtInt(data.meters.length)} of ${fmtInt(data.meters_total)} meters shown` +
    (data.meters_truncated ? " (capped: every anomalous and evented meter is shown first)" : "") +
    ". Meters sit close to their transformer: click a transformer (or zoom in) to see them, then a meter for its series.";
}

// ---------------------------------------------------------------------------------------------
// Start

async function start() {
  const serverStatus = $("#server-status");
  let health;
  try {
    health = await api("/api/health");
    serverStatus.textContent = "Server " + health.version + (TOKEN ? " (token set)" : "");
  } catch (err) {
    serverStatus.textContent = err.status === 401 ? "Unauthorized: open this page with ?token=YOUR_TOKEN" : "Server unreachable: " + describeError(err);
    return;
  }
  initMap(health.tile_url || null);

  const { presets } = await api("/api/presets");
  state.presets = presets;
  const sel = $("#preset");
  for (const name of Object.keys(presets)) sel.append(el("option", { value: name, text: name }));
  state.presetName = "demo" in presets ? "demo" : Object.keys(presets)[0];
  sel.value = state.presetName;
  buildForm(presets[state.presetName]);
  // A preset fills the whole form (rebuilt: presets may differ in the keys they list).
  sel.addEventListener("change", () => {
    state.presetName = sel.value;
    clearFieldErrors();
    buildForm(presets[sel.value]);
  });
  $("#reset-form").addEventListener("click", () => {
    clearFieldErrors();
    buildForm(presets[state.presetName]);
  });
  $("#config-form").addEventListener("submit", onSubmit);
  for (const id of ["#preset", "#generate", "#reset-form"]) $(id).disabled = false;

  // Show the newest finished dataset, if any, so a reload keeps the picture.
  try {
    const { datasets } = await api("/api/datasets");
    const last = (datasets || []).find((d) => d.state === "done");
    if (last) await showDataset(last);
    const running = (datasets || []).find((d) => d.state === "running" || d.state === "queued");
    if (running) follow("/api/datasets/" + encodeURIComponent(running.id));
  } catch (err) {
    console.warn("could not list datasets:", describeError(err));
  }
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", () => {
  start().catch((err) => console.error("ghostload page:", err));
});
