/**
 * The dashboard's only style sheet and script, inlined into each page under a CSP nonce (no
 * build step, no extra requests). The script is progressive enhancement: every action is a
 * plain POST form that works without it; with it, forms submit in the background, times read
 * as "in 4m", and an EventSource on `/v1/events` re-renders changed jobs in place.
 *
 * @example
 * ```ts
 * import { DASHBOARD_CSS, DASHBOARD_JS } from "./assets.ts";
 * DASHBOARD_CSS.length > 0 && DASHBOARD_JS.includes("EventSource"); // true
 * ```
 * @module
 */
import { EVENT_TYPES } from "../../store/mod.ts";

/**
 * The style sheet: readable from 375 px up, light and dark.
 *
 * @example
 * ```ts
 * import { DASHBOARD_CSS } from "./assets.ts";
 * const style = `<style>${DASHBOARD_CSS}</style>`;
 * ```
 */
export const DASHBOARD_CSS = `
:root{--bg:#f7f7f8;--fg:#1d2024;--muted:#6b7280;--card:#fff;--line:#e4e6ea;--accent:#3b5bdb;
--ok:#2f9e44;--fail:#e03131;--timeout:#f08c00;--cancel:#868e96;--skip:#ced4da;--abandon:#9c36b5;--dead:#862e2e;--run:#1c7ed6}
@media (prefers-color-scheme:dark){:root{--bg:#16181c;--fg:#e8eaed;--muted:#9aa0a6;--card:#1f2227;--line:#2e3238;--accent:#91a7ff;--skip:#495057}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
header{display:flex;align-items:center;gap:.75rem;padding:.6rem 1rem;background:var(--card);border-bottom:1px solid var(--line);position:sticky;top:0;z-index:2}
.brand{font-weight:700;font-size:1.1rem;color:var(--fg)}.ver{color:var(--muted);font-size:.8rem}
.live{margin-left:auto;font-size:.8rem;color:var(--muted)}.live::before{content:"";display:inline-block;width:.55rem;height:.55rem;border-radius:50%;background:var(--cancel);margin-right:.35rem}
.live.on::before{background:var(--ok)}
header form{margin:0}
main{max-width:1180px;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.2rem 0 .8rem;display:flex;align-items:center;gap:.6rem;flex-wrap:wrap;word-break:break-all}
h2{font-size:1.05rem;margin:1.4rem 0 .6rem}
.summary{color:var(--muted);margin:0 0 .8rem}
.jobs{display:flex;flex-direction:column;gap:.5rem}
.job,.jobs-head{display:grid;grid-template-columns:minmax(10rem,1.4fr) minmax(10rem,1.5fr) 7rem 11.5rem minmax(4rem,.6fr) 18.5rem;gap:.4rem .9rem;align-items:center}
.job{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.55rem .8rem}
.jobs-head{padding:0 calc(.8rem + 1px);color:var(--muted);font-size:.78rem;text-transform:uppercase;letter-spacing:.04em}
.name{display:flex;align-items:center;flex-wrap:wrap;gap:.2rem .45rem;min-width:0}.name a{font-weight:600;overflow-wrap:anywhere}
.sched{min-width:0}.sched small{display:block;color:var(--muted);font-family:ui-monospace,monospace;font-size:.75rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.lbl{display:none;color:var(--muted);font-size:.75rem;margin-right:.3rem}
.badge{font-size:.72rem;font-weight:600;padding:.08rem .45rem;border-radius:99px;background:var(--line);color:var(--fg);white-space:nowrap}
.s-running{background:var(--run);color:#fff}.s-failing{background:var(--fail);color:#fff}.s-stopped{background:var(--dead);color:#fff}
.s-paused{background:var(--timeout);color:#fff}.s-orphaned{background:var(--abandon);color:#fff}.s-done{background:var(--skip)}
.o{font-weight:600}.o-succeeded{color:var(--ok)}.o-failed,.o-dead{color:var(--fail)}.o-timed_out{color:var(--timeout)}.o-cancelled,.o-skipped{color:var(--cancel)}.o-abandoned{color:var(--abandon)}.o-running{color:var(--run)}
.strip{display:flex;gap:2px;align-items:flex-end;height:22px}
.bar{display:block;width:9px;height:20px;border-radius:2px;background:var(--skip)}
.b-succeeded{background:var(--ok)}.b-failed{background:var(--fail)}.b-timed_out{background:var(--timeout)}.b-cancelled{background:var(--cancel)}
.b-abandoned{background:var(--abandon)}.b-dead{background:var(--dead)}.b-running{background:var(--run);animation:pulse 1s ease-in-out infinite alternate}
@keyframes pulse{from{opacity:1}to{opacity:.35}}
.strip.big{height:34px;margin-bottom:.8rem;flex-wrap:wrap}.strip.big .bar{width:12px;height:32px}
.strip-cell{min-width:0;overflow:hidden}
.actions{display:flex;gap:.35rem;flex-wrap:wrap;justify-content:flex-end}.actions form{display:flex;gap:.25rem;margin:0}
.actions select{max-width:7rem}.toolbar.actions{justify-content:flex-start}
button,select,input{font:inherit;font-size:.85rem;border:1px solid var(--line);border-radius:6px;padding:.28rem .6rem;background:var(--card);color:var(--fg)}
button{cursor:pointer;font-weight:600}button:hover{border-color:var(--accent)}button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button:disabled{opacity:.5;cursor:wait}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;min-width:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.88rem}th,td{text-align:left;padding:.4rem .7rem;border-bottom:1px solid var(--line);white-space:nowrap}
th{color:var(--muted);font-weight:600;font-size:.78rem;text-transform:uppercase;letter-spacing:.03em}td.err{white-space:normal;min-width:12rem;overflow-wrap:anywhere}
tr:target{background:rgba(59,91,219,.12)}
.empty{color:var(--muted);padding:1rem;text-align:center}
.toolbar{display:flex;gap:.5rem;align-items:center;margin:.2rem 0 1rem;flex-wrap:wrap}
#toast{position:fixed;left:50%;bottom:1rem;transform:translateX(-50%);background:var(--fg);color:var(--bg);padding:.5rem .9rem;border-radius:8px;font-size:.9rem;opacity:0;transition:opacity .2s;pointer-events:none;max-width:92vw}
#toast.show{opacity:.95}#toast.bad{background:var(--fail);color:#fff}
.login{max-width:22rem;margin:12vh auto;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.4rem}
.login input{width:100%;margin:.4rem 0 .8rem;padding:.5rem}.login .error{color:var(--fail)}
@media (max-width:820px){
 .jobs-head{display:none}
 .job{grid-template-columns:1fr auto;gap:.3rem .6rem}
 .job .sched,.job .strip-cell{grid-column:1/-1}
 .job .actions{grid-column:1/-1;justify-content:flex-start}
 .lbl{display:inline}
 main{padding:.6rem}
}
`;

/**
 * The script: live updates over SSE, background form posts, relative times.
 *
 * @example
 * ```ts
 * import { DASHBOARD_JS } from "./assets.ts";
 * const script = `<script>${DASHBOARD_JS}</script>`;
 * ```
 */
export const DASHBOARD_JS = `(() => {
"use strict";
const TYPES = ${JSON.stringify(EVENT_TYPES)};
const body = document.body, page = body.dataset.page, current = body.dataset.job;
const live = document.getElementById("live"), toastEl = document.getElementById("toast");
const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });
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
const timers = new Map();
function refresh(name) {
  if (page === "job" && name !== current) return;
  if (timers.has(name)) return;
  timers.set(name, setTimeout(async () => {
    timers.delete(name);
    const url = "/ui/jobs/" + encodeURIComponent(name) + (page === "job" ? "/detail" : "/row");
    const el = document.getElementById(page === "job" ? "detail" : "job-" + name);
    try {
      const r = await fetch(url, { headers: { accept: "text/html" }, credentials: "same-origin" });
      if (r.status === 404) { if (el && page !== "job") el.remove(); return; }
      if (!r.ok) return;
      const tpl = document.createElement("template");
      tpl.innerHTML = (await r.text()).trim();
      const fresh = tpl.content.firstElementChild;
      if (!fresh) return;
      if (el) el.replaceWith(fresh); else if (page === "index") document.getElementById("jobs").append(fresh);
      times(fresh);
    } catch (_) { /* offline: the next event retries */ }
  }, 120));
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
times();
setInterval(times, 15000);
if (live) connect();
})();`;
