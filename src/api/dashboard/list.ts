/**
 * The job list (`GET /`): the live summary line, the search and state filter (kept in the URL
 * query), and one row per job, jobs that are down or late first. Rows, the summary and the list
 * are also served alone as fragments the script re-fetches when events arrive.
 *
 * @example
 * ```ts
 * import { parseFilter } from "./list.ts";
 * parseFilter({ q: " Back ", state: "late" }); // { q: "back", state: "late" }
 * ```
 * @module
 */
import type { JobStatus, RunRecord } from "../../engine/mod.ts";
import { scheduleText } from "../../http/mod.ts";
import { type Html, html } from "./_html.ts";
import {
  ATTENTION,
  enc,
  expectedAt,
  fmtDuration,
  outcomeOf,
  rawSchedule,
  STATES,
  time,
  words,
} from "./_format.ts";
import { layout } from "./layout.ts";

/**
 * Per-page context.
 *
 * @example
 * ```ts
 * import type { PageContext } from "./list.ts";
 * const ctx: PageContext = { nonce: "n", version: "0.1.0", logout: false };
 * ```
 */
export interface PageContext {
  nonce: string;
  version: string;
  /** Show the log-out button (logged in with a cookie). */
  logout: boolean;
}

/**
 * The list's filter: a case-insensitive substring of the name, and one state (or any).
 *
 * @example
 * ```ts
 * import type { ListFilter } from "./list.ts";
 * const f: ListFilter = { q: "backup", state: null };
 * ```
 */
export interface ListFilter {
  /** Lower-cased search text; "" matches every name. */
  q: string;
  /** One of the states, or null for any. */
  state: string | null;
}

/**
 * The filter from a query string; unknown states mean any, the search is trimmed and capped.
 *
 * @example
 * ```ts
 * import { parseFilter } from "./list.ts";
 * parseFilter({ state: "bogus" }); // { q: "", state: null }
 * ```
 */
export function parseFilter(query: { q?: string; state?: string }): ListFilter {
  const q = (query.q ?? "").trim().toLowerCase().slice(0, 100);
  const state = query.state && STATES.includes(query.state) ? query.state : null;
  return { q, state };
}

/**
 * Whether a job passes the filter (the script applies the same rule to live rows).
 *
 * @example
 * ```ts
 * import { matches } from "./list.ts";
 * matches({ name: "nightly-backup", state: "idle" }, { q: "back", state: null }); // true
 * ```
 */
export function matches(s: { name: string; state: string }, f: ListFilter): boolean {
  return (f.q === "" || s.name.toLowerCase().includes(f.q)) &&
    (f.state === null || s.state === f.state);
}

/**
 * Sort rank: down, then late, then every other job (by name within each).
 *
 * @example
 * ```ts
 * import { rank } from "./list.ts";
 * rank("down") < rank("late") && rank("late") < rank("idle"); // true
 * ```
 */
export function rank(state: string): number {
  const i = ATTENTION.indexOf(state);
  return i === -1 ? ATTENTION.length : i;
}

/**
 * The query string of a filter ("" when it is empty), for links that keep it.
 *
 * @example
 * ```ts
 * import { filterQuery } from "./list.ts";
 * filterQuery({ q: "a b", state: "late" }); // "q=a+b&state=late"
 * ```
 */
export function filterQuery(f: ListFilter): string {
  const p = new URLSearchParams();
  if (f.q) p.set("q", f.q);
  if (f.state) p.set("state", f.state);
  return p.toString();
}

function bar(r: RunRecord): Html {
  const o = outcomeOf(r);
  const title = `${words(o)} · ${r.startedAt?.toISOString() ?? r.scheduledAt.toISOString()} · ${
    fmtDuration(r.durationMs)
  }${r.error ? ` · ${r.error}` : ""}`;
  return html`
    <a class="bar b-${o}" href="/runs/${r.id}" title="${title}"
      aria-label="${title}"></a>
  `;
}

/** Finished attempts oldest first, then the one in flight. */
function stripRuns(s: JobStatus): RunRecord[] {
  const runs = [...s.recentRuns];
  if (s.lastRun && s.lastRun.outcome === null) runs.push(s.lastRun);
  return runs;
}

/**
 * Run now, and Pause or Resume: plain POST forms (the script submits them in the background).
 *
 * @example
 * ```ts
 * import { actions } from "./list.ts";
 * // actions(status, "/jobs/digest")
 * ```
 */
export function actions(s: JobStatus, back: string): Html {
  if (s.state === "orphaned") return html`<span class="badge">not defined here</span>`;
  const n = enc(s.name);
  const hidden = html`<input type="hidden" name="back" value="${back}">`;
  // kron does not run a watched job: it is told of its runs by pings.
  const trigger = s.kind === "watch"
    ? html`<span class="hint" title="told of its runs by kron ping ${s.name}">watched</span>`
    : html`
      <form method="post" action="/ui/jobs/${n}/trigger" data-ajax
        data-job="${s
          .name}">${hidden}<button class="primary" type="submit" title="Start a run now">Run now</button></form>
    `;
  const toggle = s.state === "paused" || s.state === "stopped"
    ? html`
      <form method="post" action="/ui/jobs/${n}/resume" data-ajax
        data-job="${s.name}">${hidden}<button type="submit">Resume</button></form>
    `
    : html`
      <form method="post" action="/ui/jobs/${n}/pause" data-ajax
        data-job="${s.name}">${hidden}<select name="for" aria-label="pause ${s
          .name} for"><option value="1h">1h</option><option value="24h">24h</option><option value="">until resumed</option></select><button type="submit">Pause</button></form>
    `;
  return html`${trigger}${toggle}`;
}

function lastResult(s: JobStatus): Html {
  const r = s.lastRun;
  if (r === null) return html`<span class="lbl">last</span>never ran`;
  const o = outcomeOf(r);
  const code = r.exitCode !== null && r.exitCode !== 0
    ? html`
      <small>exit ${r.exitCode}</small>
    `
    : "";
  return html`
    <span class="lbl">last</span><a class="o o-${o}"
      href="/runs/${r.id}">${words(o)}</a>${code} ${r.outcome === null
        ? time(r.startedAt)
        : time(r.finishedAt)}
  `;
}

function nextCell(s: JobStatus): Html {
  if (s.state === "paused" && s.pausedUntil) {
    return html`<span class="lbl">next</span>resumes ${time(s.pausedUntil)}`;
  }
  const at = expectedAt(s);
  const grace = s.grace;
  const late = ATTENTION.includes(s.state);
  return html`${late ? "expected " : html`<span class="lbl">next</span>`}${time(at)}${
    grace
      ? html`
        <small class="grace">grace ${grace}</small>
      `
      : ""
  }`;
}

/**
 * One job of the list (also served alone as a fragment for live updates).
 *
 * @example
 * ```ts
 * import { jobRow } from "./list.ts";
 * // jobRow(status, "/")
 * ```
 */
export function jobRow(s: JobStatus, back = "/"): Html {
  return html`
    <article class="job st-${s.state}" id="job-${s.name}" data-state="${s.state}"
      data-name="${s.name}">
      <div
        class="name"><a href="/jobs/${enc(s.name)}">${s.name}</a><span class="badge s-${s
          .state}">${words(s.state)}</span></div>
      <div class="sched">${scheduleText(s.schedule)}<small title="${rawSchedule(
        s.schedule,
      )}">${rawSchedule(s.schedule)}</small></div>
      <div class="next">${nextCell(s)}</div>
      <div class="last">${lastResult(s)}</div>
      <div class="strip-cell">
        <div class="strip" aria-label="recent runs of ${s.name}">${stripRuns(s).map(bar)}</div>
      </div>
      <div class="actions">${actions(s, back)}</div>
    </article>
  `;
}

/**
 * The summary line: how many jobs, and how many in each state but idle (attention states
 * first), each a link that filters the list by it.
 *
 * @example
 * ```ts
 * import { summaryLine } from "./list.ts";
 * summaryLine(new Map([["late", 1], ["idle", 5]]), 6).value.includes("1 late"); // true
 * ```
 */
export function summaryLine(counts: ReadonlyMap<string, number>, total: number): Html {
  const parts = STATES.filter((s) => s !== "idle" && (counts.get(s) ?? 0) > 0).map((s) =>
    html`
      · <a class="sum-${s}" href="/?state=${s}">${counts.get(s)} ${words(s)}</a>
    `
  );
  return html`
    <p class="summary" id="summary" aria-live="polite"
      data-title="${pageTitle(counts)}"><a href="/">${total} job${total === 1
        ? ""
        : "s"}</a>${parts}</p>
  `;
}

/**
 * The list's page title: `kron`, and how many jobs are down or late, so a background tab says so.
 *
 * @example
 * ```ts
 * import { pageTitle } from "./list.ts";
 * pageTitle(new Map([["down", 1], ["late", 2]])); // "kron · 1 down · 2 late"
 * ```
 */
export function pageTitle(counts: ReadonlyMap<string, number>): string {
  const parts = ATTENTION.filter((s) => (counts.get(s) ?? 0) > 0).map((s) =>
    `${counts.get(s)} ${s}`
  );
  return ["kron", ...parts].join(" · ");
}

/**
 * The filter form: a plain GET form, so the URL keeps the filter across reloads and links.
 *
 * @example
 * ```ts
 * import { filterForm } from "./list.ts";
 * filterForm({ q: "", state: "late" }).value.includes('value="late" selected'); // true
 * ```
 */
export function filterForm(f: ListFilter): Html {
  const options = STATES.map((s) =>
    html`<option value="${s}" ${f.state === s ? "selected" : ""}>${words(s)}</option>`
  );
  return html`<form class="filter" id="filter" method="get" action="/" role="search">
<label for="q">Search</label><input id="q" name="q" type="search" value="${f.q}" placeholder="job name" autocomplete="off">
<label for="state">State</label><select id="state" name="state"><option value="">any</option>${options}</select>
<button type="submit">Filter</button>
</form>`;
}

/**
 * The rows (or why there are none) and the link to the next page: the part the filter swaps.
 *
 * @example
 * ```ts
 * import { jobList } from "./list.ts";
 * jobList([], { q: "x", state: null }, null).value.includes("No job matches"); // true
 * ```
 */
export function jobList(jobs: JobStatus[], f: ListFilter, next: string | null): Html {
  const filtered = f.q !== "" || f.state !== null;
  const q = filterQuery(f);
  return html`<div id="list"><div class="jobs" id="jobs">${
    jobs.length === 0
      ? html`<p class="empty" id="no-jobs">${
        filtered ? "No job matches the filter." : "No jobs defined."
      }</p>`
      : jobs.map((j) => jobRow(j, q ? `/?${q}` : "/"))
  }</div>${
    next ? html`<p><a href="/?${q ? `${q}&` : ""}after=${enc(next)}">More jobs →</a></p>` : ""
  }</div>`;
}

/**
 * The job list page.
 *
 * @example
 * ```ts
 * import { jobsPage } from "./list.ts";
 * // jobsPage(jobs, { nonce, version: "0.1.0", logout: false }, { next: null, total, counts, filter })
 * ```
 */
export function jobsPage(
  jobs: JobStatus[],
  ctx: PageContext,
  more: {
    next: string | null;
    total: number;
    counts: ReadonlyMap<string, number>;
    filter: ListFilter;
  },
): Html {
  return layout(
    {
      title: pageTitle(more.counts),
      nonce: ctx.nonce,
      version: ctx.version,
      page: "index",
      logout: ctx.logout,
    },
    html`
      <h1 class="sr">Jobs</h1>
      ${summaryLine(more.counts, more.total)}
      ${filterForm(more.filter)}
      <div class="jobs-head"
        aria-hidden="true"><span>Job</span><span>Schedule</span><span>Next run</span><span>Last result</span><span>Recent</span><span></span></div>
      ${jobList(jobs, more.filter, more.next)}
    `,
  );
}

/**
 * One page of the list: the jobs that pass the filter, down and late ones first (all of them,
 * on the first page only), then the others by name after the cursor `after`, `limit` of them.
 * `statuses` must be sorted by name.
 *
 * @example
 * ```ts
 * import { pageJobs } from "./list.ts";
 * // pageJobs(statuses, { q: "", state: null }, null, 500) → { jobs, next }
 * ```
 */
export function pageJobs(
  statuses: JobStatus[],
  f: ListFilter,
  after: string | null,
  limit: number,
): { jobs: JobStatus[]; next: string | null } {
  const matching = statuses.filter((s) => matches(s, f));
  const calm = ATTENTION.length;
  const pinned = after === null
    ? matching.filter((s) => rank(s.state) < calm).sort((a, b) => rank(a.state) - rank(b.state))
    : [];
  const rest = matching.filter((s) => rank(s.state) === calm && (after === null || s.name > after));
  const page = rest.slice(0, limit);
  const next = rest.length > limit ? page[page.length - 1].name : null;
  return { jobs: [...pinned, ...page], next };
}

/**
 * How many jobs are in each state.
 *
 * @example
 * ```ts
 * import { countStates } from "./list.ts";
 * countStates([{ state: "idle" }, { state: "idle" }]).get("idle"); // 2
 * ```
 */
export function countStates(statuses: { state: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  return counts;
}
