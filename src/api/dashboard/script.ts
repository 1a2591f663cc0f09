/**
 * The dashboard's only script, inlined into each live page under a CSP nonce. It is progressive
 * enhancement: every action is a plain POST form and the filter a plain GET form, all working
 * without it. With it: forms submit in the background, times read as "in 4m", the filter
 * applies as you type (the URL follows, so a reload keeps it), and an EventSource on
 * `/v1/events` re-renders what an event changed: the job's row and the summary line on the list
 * (down and late rows move to the top; rows leave and join as they stop or start matching the
 * filter), the job page's detail, the run page's header. A running run's page polls its output
 * and appends it as text (never as markup).
 *
 * @example
 * ```ts
 * import { DASHBOARD_JS } from "./script.ts";
 * DASHBOARD_JS.includes("EventSource"); // true
 * ```
 * @module
 */
import { EVENT_TYPES } from "../../store/mod.ts";
import { ATTENTION } from "./_format.ts";

/**
 * The script.
 *
 * @example
 * ```ts
 * import { DASHBOARD_JS } from "./script.ts";
 * const script = `<script>${DASHBOARD_JS}</script>`;
 * ```
 */
export const DASHBOARD_JS = `(() => {
"use strict";
const TYPES = ${JSON.stringify(EVENT_TYPES)};
const ATTENTION = ${JSON.stringify(ATTENTION)};
const body = document.body, page = body.dataset.page, current = body.dataset.job, run = body.dataset.run;
const live = document.getElementById("live"), toastEl = document.getElementById("toast");
const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function rel(ms) {
  const s = Math.round(ms / 1000), a = Math.abs(s);
  if (a < 45) return rtf.format(s, "second");
  if (a < 2700) return rtf.format(Math.round(s / 60), "minute");
  if (a < 64800) return rtf.format(Math.round(s / 3600), "hour");
  return rtf.format(Math.round(s / 86400), "day");
}
function times(root) {
  for (const t of (root || document).querySelectorAll("time[datetime]")) {
    const d = new Date(t.getAttribute("datetime"));
    if (isNaN(d)) continue;
    t.textContent = rel(d.getTime() - Date.now());
    t.title = d.toLocaleString();
  }
}
let toastTimer = 0;
function toast(text, bad) {
  toastEl.textContent = text;
  toastEl.className = "show" + (bad ? " bad" : "");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toastEl.className = ""; }, 3500);
}
async function fetchHtml(url) {
  const r = await fetch(url, { headers: { accept: "text/html" }, credentials: "same-origin" });
  if (!r.ok) return { status: r.status, el: null };
  const tpl = document.createElement("template");
  tpl.innerHTML = (await r.text()).trim();
  return { status: r.status, el: tpl.content.firstElementChild };
}
// Replaces element 'id' with the fragment at 'url'; with 'keep', only its content (a live
// region must stay the same element for screen readers to announce its changes).
async function swap(id, url, keep) {
  try {
    const { el } = await fetchHtml(url);
    const old = document.getElementById(id);
    if (el && old) {
      if (keep) old.replaceChildren(...el.childNodes); else old.replaceWith(el);
      times(keep ? old : el);
    }
    return el;
  } catch (_) { return null; /* offline: the next event retries */ }
}
// The list: the filter as the form holds it (the server applies the same rule).
const qEl = document.getElementById("q"), stateEl = document.getElementById("state");
function matches(row) {
  const q = qEl ? qEl.value.trim().toLowerCase() : "", st = stateEl ? stateEl.value : "";
  return (!q || row.dataset.name.toLowerCase().includes(q)) && (!st || row.dataset.state === st);
}
function key(row) {
  const r = ATTENTION.indexOf(row.dataset.state);
  return [r === -1 ? ATTENTION.length : r, row.dataset.name];
}
function before(a, b) {
  const x = key(a), y = key(b);
  return x[0] !== y[0] ? x[0] < y[0] : x[1] < y[1];
}
function place(row) {
  const list = document.getElementById("jobs");
  if (!list) return;
  row.remove();
  if (!matches(row)) return;
  const empty = document.getElementById("no-jobs");
  if (empty) empty.remove();
  for (const other of list.children) {
    if (other.classList.contains("job") && before(row, other)) { list.insertBefore(row, other); return; }
  }
  list.append(row);
}
// At most one summary fetch per half second, after the events of that half second.
let summaryTimer = 0;
function refreshSummary() {
  if (summaryTimer) return;
  summaryTimer = setTimeout(() => {
    summaryTimer = 0;
    swap("summary", "/ui/summary", true).then((el) => { if (el) document.title = el.dataset.title; });
  }, 500);
}
const timers = new Map();
function later(name, fn) {
  if (timers.has(name)) return;
  timers.set(name, setTimeout(() => { timers.delete(name); fn(); }, 120));
}
function refresh(name) {
  if (page === "index") {
    refreshSummary();
    later(name, async () => {
      try {
        const { status, el } = await fetchHtml("/ui/jobs/" + encodeURIComponent(name) + "/row");
        const old = document.getElementById("job-" + name);
        if (status === 404) { if (old) old.remove(); return; }
        if (!el) return;
        if (old) old.replaceWith(el);
        times(el);
        place(el);
      } catch (_) { /* offline: the next event retries */ }
    });
  } else if (page === "job" && name === current) {
    later(name, () => swap("detail", "/ui/jobs/" + encodeURIComponent(name) + "/detail"));
  } else if (page === "run" && name === current) {
    later(name, () => swap("run-head", "/ui/runs/" + run + "/head"));
  }
}
function connect() {
  const es = new EventSource("/v1/events");
  es.onopen = () => live.classList.add("on");
  es.onerror = () => live.classList.remove("on");
  const onEvent = (e) => {
    try { const d = JSON.parse(e.data); if (d && d.job) refresh(d.job); } catch (_) { /* ignore */ }
  };
  for (const t of TYPES) es.addEventListener(t, onEvent);
  es.addEventListener("gap", () => location.reload());
}
// The filter: applied as you type, without a reload; the URL keeps it.
const filter = document.getElementById("filter");
let filterTimer = 0, filterSeq = 0;
function applyFilter() {
  const params = new URLSearchParams();
  if (qEl.value.trim()) params.set("q", qEl.value.trim());
  if (stateEl.value) params.set("state", stateEl.value);
  const qs = params.toString(), seq = ++filterSeq;
  history.replaceState(null, "", qs ? "/?" + qs : "/");
  swap("list", "/ui/list" + (qs ? "?" + qs : "")).then(() => {
    if (seq !== filterSeq) applyFilter();
  });
}
if (filter) {
  filter.addEventListener("input", () => { clearTimeout(filterTimer); filterTimer = setTimeout(applyFilter, 200); });
  filter.addEventListener("submit", (ev) => { ev.preventDefault(); clearTimeout(filterTimer); applyFilter(); });
}
document.addEventListener("submit", async (ev) => {
  const f = ev.target;
  if (!(f instanceof HTMLFormElement) || !f.hasAttribute("data-ajax")) return;
  ev.preventDefault();
  const buttons = f.querySelectorAll("button");
  buttons.forEach((b) => b.disabled = true);
  try {
    const r = await fetch(f.getAttribute("action"), {
      method: "POST",
      body: new URLSearchParams(new FormData(f)),
      headers: { accept: "application/json" },
      credentials: "same-origin",
    });
    const j = await r.json().catch(() => ({}));
    toast(r.ok ? j.message : (j.error && j.error.message) || ("HTTP " + r.status), !r.ok);
    if (f.dataset.job) refresh(f.dataset.job);
  } catch (e) {
    toast(String(e), true);
  } finally {
    buttons.forEach((b) => b.disabled = false);
  }
});
// A running run's output: polled from the byte where the page left off, appended as text.
async function tail() {
  const pre = document.getElementById("log"), note = document.getElementById("tail");
  const head = document.getElementById("run-head");
  if (!pre || !head || head.dataset.running !== "1") return;
  let next = Number(pre.dataset.next) || 0;
  for (;;) {
    let running = "1", text = "";
    try {
      const r = await fetch("/ui/runs/" + run + "/log?from=" + next, { credentials: "same-origin" });
      if (r.ok) {
        text = await r.text();
        next = Number(r.headers.get("x-log-next")) || next;
        running = r.headers.get("x-run-running");
      }
    } catch (_) { /* offline: try again */ }
    if (text) {
      const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.append(text);
      pre.dataset.next = String(next);
      if (atEnd) pre.scrollTop = pre.scrollHeight;
    }
    if (running === "0" && !text) break;
    await sleep(text && running === "0" ? 0 : text ? 250 : 1000);
  }
  if (note) note.textContent = "run finished";
  swap("run-head", "/ui/runs/" + run + "/head");
}
times();
setInterval(times, 15000);
if (live) connect();
if (page === "run") tail();
})();`;
