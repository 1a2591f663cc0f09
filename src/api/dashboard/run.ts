/**
 * A run's page (`GET /runs/:id`): a header with the job, run id, outcome and times, a way back to
 * the job, and the captured output of command runs, escaped, followed live while the run runs
 * (the script polls `/ui/runs/:id/log?from=<byte>` and appends text nodes).
 *
 * @example
 * ```ts
 * import { runPage } from "./run.ts";
 * // runPage(run, "command", { text: "hello\n", start: 0, next: 6 }, ctx, Date.now())
 * ```
 * @module
 */
import type { JobStatus, RunRecord } from "../../engine/mod.ts";

type JobKind = JobStatus["kind"];
import { type Html, html } from "./_html.ts";
import { enc, fmtDuration, outcomeOf, time, words } from "./_format.ts";
import { runDuration } from "./chart.ts";
import { layout } from "./layout.ts";
import type { PageContext } from "./list.ts";

/**
 * The part of a run's log a page shows: text decoded from bytes `start` to `next`.
 *
 * @example
 * ```ts
 * import type { LogView } from "./run.ts";
 * const v: LogView = { text: "hello\n", start: 0, next: 6 };
 * ```
 */
export interface LogView {
  text: string;
  /** First byte shown (> 0 when the head was left out of a long log). */
  start: number;
  /** The byte after the last one shown: where the live tail continues. */
  next: number;
}

/**
 * The run's header (also served alone as a fragment, re-fetched when the job's events arrive).
 *
 * @example
 * ```ts
 * import { runHeader } from "./run.ts";
 * // runHeader(run, Date.now())
 * ```
 */
export function runHeader(r: RunRecord, now: number): Html {
  const o = outcomeOf(r);
  const d = runDuration(r, now);
  return html`
    <section id="run-head" data-running="${r.outcome === null ? "1" : "0"}">
      <h1><a href="/jobs/${enc(r.job)}">${r.job}</a> <span class="badge ob-${o}">${words(
        o,
      )}</span></h1>
      <dl class="facts">
    <dt>Run id</dt><dd><code>${r.id}</code></dd>
    <dt>Attempt</dt><dd>${r.attempt} <small>(${r.trigger})</small></dd>
    <dt>Due</dt><dd>${time(r.scheduledAt)}</dd>
    <dt>Started</dt><dd>${time(r.startedAt)}</dd>
    <dt>Finished</dt><dd>${r.outcome === null ? "still running" : time(r.finishedAt)}</dd>
    <dt>Duration</dt><dd>${fmtDuration(d)}${r.outcome === null ? " so far" : ""}</dd>
    ${r.exitCode !== null
      ? html`
        <dt>Exit code</dt>
        <dd>${r.exitCode}</dd>
      `
      : ""}
    ${r.error
      ? html`
        <dt>Error</dt>
        <dd class="error-text">${r.error}</dd>
      `
      : ""}
      </dl>
    </section>
  `;
}

function output(r: RunRecord, kind: JobKind | null, log: LogView | null): Html {
  if (kind !== "command" || log === null) {
    return html`<p class="empty">Only command jobs capture output; this is a ${
      kind ?? "removed"
    } job.</p>`;
  }
  return html`
    ${log.start > 0
      ? html`
        <p
          class="note">The first ${log.start} bytes are left out: <a href="/v1/runs/${r
            .id}/log">the whole log</a>.</p>
      `
      : ""}<pre class="log" id="log" tabindex="0" aria-label="output of run ${r.id}"
      data-next="${log.next}">${log.text}</pre>
    <p
      class="log-foot"><span id="tail" class="tail" aria-live="polite">${r.outcome === null
        ? "following the output…"
        : ""}</span> <a href="/v1/runs/${r.id}/log">raw text</a></p>
  `;
}

/**
 * The run page.
 *
 * @example
 * ```ts
 * import { runPage } from "./run.ts";
 * // runPage(run, "command", logView, { nonce, version, logout: false }, Date.now())
 * ```
 */
export function runPage(
  r: RunRecord,
  kind: JobKind | null,
  log: LogView | null,
  ctx: PageContext,
  now: number,
): Html {
  return layout(
    {
      title: `kron · ${r.job} · run ${r.id}`,
      nonce: ctx.nonce,
      version: ctx.version,
      page: "run",
      job: r.job,
      run: r.id,
      logout: ctx.logout,
    },
    html`<p class="back"><a href="/jobs/${enc(r.job)}#run-${r.id}">← ${r.job}</a></p>
${runHeader(r, now)}
<h2>Output</h2>
${output(r, kind, log)}`,
  );
}
