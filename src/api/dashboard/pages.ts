/**
 * The dashboard's pages and fragments: the job list (`GET /`), one row of it (re-fetched by
 * the live script when that job's events arrive), a job page with its run history
 * (`GET /jobs/:name`) and its re-fetchable detail section.
 *
 * @example
 * ```ts
 * import { jobRow } from "./pages.ts";
 * // jobRow(kron.status("digest"), "/").value  →  '<article class="job" id="job-digest" …'
 * ```
 * @module
 */
import type { JobStatus, RunRecord } from "../../engine/types.ts";
import { scheduleText } from "../views.ts";
import { type Html, html } from "./_html.ts";
import { layout } from "./layout.ts";

/**
 * Per-page context.
 *
 * @example
 * ```ts
 * import type { PageContext } from "./pages.ts";
 * const ctx: PageContext = { nonce: "n", version: "0.1.0", logout: false };
 * ```
 */
export interface PageContext {
  nonce: string;
  version: string;
  /** Show the log-out button (logged in with a cookie). */
  logout: boolean;
}

const enc = encodeURIComponent;

/**
 * A duration in short words.
 *
 * @example
 * ```ts
 * import { fmtDuration } from "./pages.ts";
 * fmtDuration(350); // "350ms"
 * fmtDuration(125_000); // "2m 5s"
 * ```
 */
export function fmtDuration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function time(d: Date | null, empty = "—"): Html {
  return d === null
    ? html`${empty}`
    : html`<time datetime="${d.toISOString()}">${
      d.toISOString().replace("T", " ").slice(0, 19)
    }Z</time>`;
}

function rawSchedule(s: JobStatus["schedule"]): string {
  return Object.entries(s).filter(([, v]) => v !== null).map(([k, v]) => `${k} ${v}`).join(" · ");
}

function outcomeOf(r: RunRecord): string {
  return r.outcome ?? "running";
}

function bar(job: string, r: RunRecord): Html {
  const o = outcomeOf(r);
  const title = `${o} · ${r.startedAt?.toISOString() ?? r.scheduledAt.toISOString()} · ${
    fmtDuration(r.durationMs)
  }${r.error ? ` · ${r.error}` : ""}`;
  return html`
    <a class="bar b-${o}" href="/jobs/${enc(job)}#run-${r.id}" title="${title}"
      aria-label="${title}"></a>
  `;
}

/** Finished attempts oldest first, then the one in flight. */
function stripRuns(s: JobStatus): RunRecord[] {
  const runs = [...s.recentRuns];
  if (s.lastRun && s.lastRun.outcome === null) runs.push(s.lastRun);
  return runs;
}

function actions(s: JobStatus, back: string): Html {
  if (s.state === "orphaned") return html`<span class="badge">not defined here</span>`;
  const n = enc(s.name);
  const hidden = html`<input type="hidden" name="back" value="${back}">`;
  const trigger = html`
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
        data-job="${s
          .name}">${hidden}<select name="for" aria-label="pause for"><option value="1h">1h</option><option value="24h">24h</option><option value="">until resumed</option></select><button type="submit">Pause</button></form>
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
  return html`<span class="lbl">last</span><span class="o o-${o}">${
    o.replace("_", " ")
  }</span>${code} ${r.outcome === null ? time(r.startedAt) : time(r.finishedAt)}`;
}

/**
 * One job of the list (also served alone as a fragment for live updates).
 *
 * @example
 * ```ts
 * import { jobRow } from "./pages.ts";
 * // jobRow(status, "/")
 * ```
 */
export function jobRow(s: JobStatus, back = "/"): Html {
  return html`
    <article class="job" id="job-${s.name}" data-state="${s.state}">
      <div
        class="name"><a href="/jobs/${enc(s.name)}">${s.name}</a><span class="badge s-${s
          .state}">${s.state}</span></div>
      <div class="sched">${scheduleText(s.schedule)}<small title="${rawSchedule(
        s.schedule,
      )}">${rawSchedule(
        s.schedule,
      )}</small></div>
      <div class="next"><span class="lbl">next</span>${s.state === "paused" && s.pausedUntil
        ? html`resumes ${time(s.pausedUntil)}`
        : time(s.nextRunAt)}</div>
      <div class="last">${lastResult(s)}</div>
      <div class="strip-cell">
        <div class="strip" aria-label="recent runs">${stripRuns(s).map((r) => bar(s.name, r))}</div>
      </div>
      <div class="actions">${actions(s, back)}</div>
    </article>
  `;
}

/**
 * The job list page.
 *
 * @example
 * ```ts
 * import { jobsPage } from "./pages.ts";
 * // jobsPage(kron.list(), { nonce, version: "0.1.0", logout: false }, null)
 * ```
 */
export function jobsPage(
  jobs: JobStatus[],
  ctx: PageContext,
  more: { next: string | null; total: number },
): Html {
  const counts = new Map<string, number>();
  for (const j of jobs) counts.set(j.state, (counts.get(j.state) ?? 0) + 1);
  const parts = [...counts].filter(([s]) => s !== "idle").map(([s, n]) => `${n} ${s}`);
  const summary = `${more.total} job${more.total === 1 ? "" : "s"}${
    parts.length ? " · " + parts.join(" · ") : ""
  }`;
  return layout(
    { title: "kron", nonce: ctx.nonce, version: ctx.version, page: "index", logout: ctx.logout },
    html`
      <p class="summary">${summary}</p>
      <div class="jobs-head"
        aria-hidden="true"><span>Job</span><span>Schedule</span><span>Next run</span><span>Last result</span><span>Recent</span><span></span></div>
      <div class="jobs" id="jobs">${jobs.length === 0
        ? html`<p class="empty">No jobs defined.</p>`
        : jobs.map((j) => jobRow(j))}</div>
      ${more.next ? html`<p><a href="/?after=${enc(more.next)}">More jobs →</a></p>` : ""}
    `,
  );
}

function historyRow(job: JobStatus, r: RunRecord): Html {
  const o = outcomeOf(r);
  const detail = r.error ?? (r.exitCode !== null ? `exit ${r.exitCode}` : "");
  return html`
    <tr id="run-${r.id}">
      <td>${time(r.startedAt)}</td>
      <td>${fmtDuration(r.durationMs)}</td>
      <td><span class="o o-${o}">${o.replace("_", " ")}</span></td>
      <td>${r.attempt}</td>
      <td>${r.trigger}</td>
      <td class="err">${detail}</td>
      ${job.kind === "command" ? html`<td><a href="/v1/runs/${r.id}/log">log</a></td>` : ""}
      <td><small>${r.id}</small></td>
    </tr>
  `;
}

/**
 * The live part of a job page (also served alone as a fragment).
 *
 * @example
 * ```ts
 * import { jobDetailSection } from "./pages.ts";
 * // jobDetailSection(kron.status("a"), await kron.history("a", { limit: 50 }))
 * ```
 */
export function jobDetailSection(s: JobStatus, history: RunRecord[]): Html {
  const back = `/jobs/${enc(s.name)}`;
  const strip = [...history].reverse();
  // Only command jobs capture output.
  const logs = s.kind === "command";
  return html`
    <section id="detail">
      <h1>${s.name} <span class="badge s-${s.state}">${s.state}</span></h1>
      <div class="toolbar actions">${actions(s, back)}</div>
      <dl class="facts">
    <dt>Schedule</dt><dd>${scheduleText(s.schedule)} <small>(${rawSchedule(
      s.schedule,
    )})</small></dd>
    <dt>Next run</dt><dd>${time(s.nextRunAt, "none")}</dd>
    ${s.pausedUntil
      ? html`
        <dt>Paused until</dt>
        <dd>${time(s.pausedUntil)}</dd>
      `
      : ""}
    <dt>Kind</dt><dd>${s.kind}</dd>
    ${s.description
      ? html`
        <dt>Description</dt>
        <dd>${s.description}</dd>
      `
      : ""}
    <dt>Running</dt><dd>${s.running}</dd>
    <dt>Failures in a row</dt><dd>${s.consecutiveFailures}</dd>
    <dt>Total runs</dt><dd>${s.totalRuns}</dd>
      </dl>
      <h2>Recent runs</h2>
      <div class="strip big" aria-label="recent runs">${strip.map((r) => bar(s.name, r))}</div>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Started</th>
              <th>Duration</th>
              <th>Outcome</th>
              <th>Attempt</th>
              <th>Trigger</th>
              <th>Exit / error</th>
              ${logs ? html`<th>Log</th>` : ""}
              <th>Run id</th>
            </tr>
          </thead>
          <tbody>${history.length === 0
            ? html`
              <tr>
                <td colspan="${logs ? 8 : 7}" class="empty">No runs yet.</td>
              </tr>
            `
            : history.map((r) => historyRow(s, r))}</tbody>
        </table>
      </div>
    </section>
  `;
}

/**
 * The job page.
 *
 * @example
 * ```ts
 * import { jobPage } from "./pages.ts";
 * // jobPage(status, history, { nonce, version, logout: false })
 * ```
 */
export function jobPage(s: JobStatus, history: RunRecord[], ctx: PageContext): Html {
  return layout(
    {
      title: `kron · ${s.name}`,
      nonce: ctx.nonce,
      version: ctx.version,
      page: "job",
      job: s.name,
      logout: ctx.logout,
    },
    html`<p><a href="/">← all jobs</a></p>${jobDetailSection(s, history)}`,
  );
}

/**
 * A plain message page (errors of JS-less form posts).
 *
 * @example
 * ```ts
 * import { messagePage } from "./pages.ts";
 * messagePage("Not found", 'no job named "x"', "/", { nonce: "n", version: "1", logout: false });
 * ```
 */
export function messagePage(title: string, message: string, back: string, ctx: PageContext): Html {
  return layout(
    {
      title: `kron · ${title}`,
      nonce: ctx.nonce,
      version: ctx.version,
      page: "plain",
      logout: ctx.logout,
    },
    html`
      <h1>${title}</h1>
      <p>${message}</p>
      <p><a href="${back}">← back</a></p>
    `,
  );
}
