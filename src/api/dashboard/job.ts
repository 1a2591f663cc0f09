/**
 * A job's page (`GET /jobs/:name`): its facts (with when the next run is expected and the grace
 * period), a duration chart over its recent runs, and the run history. On a phone the history
 * keeps its essential columns (started, duration, outcome, run) and drops the rest, with the
 * error shown under the outcome.
 *
 * @example
 * ```ts
 * import { jobPage } from "./job.ts";
 * // jobPage(kron.status("a"), await kron.history("a", { limit: 50 }), ctx, Date.now())
 * ```
 * @module
 */
import type { JobStatus, RunRecord } from "../../engine/mod.ts";
import { scheduleText } from "../../http/mod.ts";
import { type Html, html } from "./_html.ts";
import { expectation, fmtDuration, outcomeOf, rawSchedule, time, words } from "./_format.ts";
import { durationChart } from "./chart.ts";
import { layout } from "./layout.ts";
import { actions, type PageContext } from "./list.ts";

function historyRow(r: RunRecord): Html {
  const o = outcomeOf(r);
  const detail = r.error ?? (r.exitCode !== null ? `exit ${r.exitCode}` : "");
  return html`
    <tr id="run-${r.id}">
      <td>${time(r.startedAt)}</td>
      <td class="opt">${time(r.scheduledAt)}</td>
      <td>${fmtDuration(r.durationMs)}</td>
      <td><span class="o o-${o}">${words(o)}</span>${detail
        ? html`<small class="sub">${detail}</small>`
        : ""}</td>
      <td class="opt">${r.attempt}</td>
      <td class="opt">${r.trigger}</td>
      <td class="opt err">${detail}</td>
      <td><a class="rid" href="/runs/${r.id}">${r.id}</a></td>
    </tr>
  `;
}

/**
 * The live part of a job page (also served alone as a fragment).
 *
 * @example
 * ```ts
 * import { jobDetailSection } from "./job.ts";
 * // jobDetailSection(kron.status("a"), await kron.history("a", { limit: 50 }), Date.now())
 * ```
 */
export function jobDetailSection(s: JobStatus, history: RunRecord[], now: number): Html {
  const back = `/jobs/${encodeURIComponent(s.name)}`;
  const late = s.health === "ok" ? null : s.lateSince;
  return html`<section id="detail" data-state="${s.state}">
<h1>${s.name} <span class="badge s-${s.state}">${words(s.state)}</span></h1>
<div class="toolbar actions">${actions(s, back)}</div>
<dl class="facts">
<dt>Schedule</dt><dd>${scheduleText(s.schedule)} <small>(${rawSchedule(s.schedule)})</small></dd>
<dt>${late ? "Expected" : "Next run"}</dt><dd id="expected">${expectation(s)}</dd>
${
    late
      ? html`
        <dt>${s.health === "down" ? "Down" : "Late"} since</dt>
        <dd id="late-since">${time(late)}</dd>
      `
      : ""
  }
${
    s.pausedUntil
      ? html`
        <dt>Paused until</dt>
        <dd>${time(s.pausedUntil)}</dd>
      `
      : ""
  }
<dt>Kind</dt><dd>${s.kind}${
    s.kind === "watch"
      ? html`
        <small>(runs elsewhere; <code>kron ping ${s.name}</code>)</small>
      `
      : ""
  }</dd>
${
    s.description
      ? html`
        <dt>Description</dt>
        <dd>${s.description}</dd>
      `
      : ""
  }
<dt>Running</dt><dd>${s.running}</dd>
<dt>Failures in a row</dt><dd>${s.consecutiveFailures}</dd>
<dt>Total runs</dt><dd>${s.totalRuns}</dd>
</dl>
<h2>Recent runs</h2>
${durationChart(s.name, history, now)}
<div class="scroll" id="runs">
<table>
<caption class="sr">Runs of ${s.name}, newest first</caption>
<thead><tr><th scope="col">Started</th><th scope="col" class="opt">Due</th><th scope="col">Duration</th><th scope="col">Outcome</th><th scope="col" class="opt">Attempt</th><th scope="col" class="opt">Trigger</th><th scope="col" class="opt">Exit / error</th><th scope="col">Run${
    s.kind === "command" ? " / log" : ""
  }</th></tr></thead>
<tbody>${
    history.length === 0
      ? html`
        <tr>
          <td colspan="8" class="empty">No runs yet.</td>
        </tr>
      `
      : history.map(historyRow)
  }</tbody>
</table>
</div>
</section>`;
}

/**
 * The job page.
 *
 * @example
 * ```ts
 * import { jobPage } from "./job.ts";
 * // jobPage(status, history, { nonce, version, logout: false }, Date.now())
 * ```
 */
export function jobPage(s: JobStatus, history: RunRecord[], ctx: PageContext, now: number): Html {
  return layout(
    {
      title: `kron · ${s.name}`,
      nonce: ctx.nonce,
      version: ctx.version,
      page: "job",
      job: s.name,
      logout: ctx.logout,
    },
    html`<p class="back"><a href="/">← all jobs</a></p>${jobDetailSection(s, history, now)}`,
  );
}
