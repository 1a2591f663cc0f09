/**
 * Small formatters shared by the dashboard's pages: durations, times, schedules, outcomes, and
 * the facts about when a job's next run is expected (its due time and grace period).
 *
 * @example
 * ```ts
 * import { fmtDuration } from "./_format.ts";
 * fmtDuration(125_000); // "2m 5s"
 * ```
 * @module
 */
import type { JobStatus, RunRecord } from "../../engine/mod.ts";
import { type Html, html } from "./_html.ts";

/**
 * `encodeURIComponent`, short.
 *
 * @example
 * ```ts
 * import { enc } from "./_format.ts";
 * enc("a b"); // "a%20b"
 * ```
 */
export const enc: (s: string) => string = encodeURIComponent;

/**
 * A duration in short words.
 *
 * @example
 * ```ts
 * import { fmtDuration } from "./_format.ts";
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

/**
 * A `<time>` element (UTC text; the script rewrites it as "in 4m" with the local time as its
 * tooltip), or `empty` for null.
 *
 * @example
 * ```ts
 * import { time } from "./_format.ts";
 * time(new Date(0)).value; // '<time datetime="1970-01-01T00:00:00.000Z">1970-01-01 00:00:00Z</time>'
 * ```
 */
export function time(d: Date | null, empty = "—"): Html {
  return d === null
    ? html`${empty}`
    : html`<time datetime="${d.toISOString()}">${
      d.toISOString().replace("T", " ").slice(0, 19)
    }Z</time>`;
}

/**
 * The schedule as written, one line.
 *
 * @example
 * ```ts
 * import { rawSchedule } from "./_format.ts";
 * rawSchedule({ cron: "0 8 * * *", timezone: null }); // "cron 0 8 * * *"
 * ```
 */
export function rawSchedule(s: JobStatus["schedule"]): string {
  return Object.entries(s).filter(([, v]) => v !== null).map(([k, v]) => `${k} ${v}`).join(" · ");
}

/**
 * A run's outcome, `running` while it has none.
 *
 * @example
 * ```ts
 * import { outcomeOf } from "./_format.ts";
 * // outcomeOf(run) === "succeeded"
 * ```
 */
export function outcomeOf(r: RunRecord): string {
  return r.outcome ?? "running";
}

/**
 * A state or outcome in words (`timed_out` → `timed out`).
 *
 * @example
 * ```ts
 * import { words } from "./_format.ts";
 * words("timed_out"); // "timed out"
 * ```
 */
export function words(s: string): string {
  return s.replaceAll("_", " ");
}

/**
 * States that need someone's attention first: shown first in the list and the summary.
 *
 * @example
 * ```ts
 * import { ATTENTION } from "./_format.ts";
 * ATTENTION.includes("down"); // true
 * ```
 */
export const ATTENTION: readonly string[] = ["down", "late"];

/**
 * Every state the list can be filtered by, in the order the summary names them.
 *
 * @example
 * ```ts
 * import { STATES } from "./_format.ts";
 * STATES[0]; // "down"
 * ```
 */
export const STATES: readonly string[] = [
  "down",
  "late",
  "orphaned",
  "stopped",
  "failing",
  "paused",
  "running",
  "done",
  "idle",
];

/**
 * What a job's page and row say about when a run is expected (the late/down fields of its status).
 *
 * @example
 * ```ts
 * import type { Expectation } from "./_format.ts";
 * const e: Expectation = { nextRunAt: null, expectedAt: null, grace: null, downAfter: null };
 * ```
 */
export type Expectation = Pick<JobStatus, "nextRunAt" | "expectedAt" | "grace" | "downAfter">;

/**
 * When the job's current occurrence was (or its next one is) due: `expectedAt` for a job with a
 * grace (a late job's missed occurrence), else the next run time.
 *
 * @example
 * ```ts
 * import { expectedAt } from "./_format.ts";
 * const late = { nextRunAt: null, expectedAt: new Date(0), grace: "1m", downAfter: null };
 * expectedAt(late)?.getTime(); // 0
 * ```
 */
export function expectedAt(s: Expectation): Date | null {
  return s.expectedAt ?? s.nextRunAt;
}

/**
 * "expected <time> (grace 10m, down after 1h)", or "—" when nothing is due.
 *
 * @example
 * ```ts
 * import { expectation } from "./_format.ts";
 * expectation({ nextRunAt: null, expectedAt: null, grace: null, downAfter: null }).value; // "—"
 * ```
 */
export function expectation(s: Expectation): Html {
  const at = expectedAt(s);
  if (at === null) return html`—`;
  const note = s.grace
    ? `(grace ${s.grace}${s.downAfter ? `, down after ${s.downAfter}` : ""})`
    : "";
  return html`<span class="expected">expected ${time(at)}${
    note
      ? html`
        <small class="grace">${note}</small>
      `
      : ""
  }</span>`;
}
