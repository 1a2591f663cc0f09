/**
 * A job's run durations over its recent runs as a small inline SVG bar chart: one bar per
 * attempt, oldest left, its height the duration on a linear scale from zero to the longest, its
 * colour the outcome, each a link to the run's row (for the mouse: the table below is the
 * keyboard's and screen reader's way; the chart is one image to them, named by its caption).
 * Drawn on the server: no script, no library.
 *
 * @example
 * ```ts
 * import { durationChart } from "./chart.ts";
 * durationChart("a", [], Date.now()).value.includes("No runs yet"); // true
 * ```
 * @module
 */
import type { RunRecord } from "../../engine/mod.ts";
import { type Html, html } from "./_html.ts";
import { fmtDuration, outcomeOf, words } from "./_format.ts";

/** Bars drawn at least this many slots wide, so a few runs do not become wide slabs. */
const MIN_SLOTS = 50;
const SLOT = 10;
const HEIGHT = 100;

/**
 * The duration of a run: its recorded one, or the time it has been running so far.
 *
 * @example
 * ```ts
 * import { runDuration } from "./chart.ts";
 * // runDuration(run, Date.now())
 * ```
 */
export function runDuration(r: RunRecord, now: number): number | null {
  if (r.durationMs !== null) return r.durationMs;
  if (r.outcome === null && r.startedAt !== null) return Math.max(0, now - r.startedAt.getTime());
  return null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The chart for `runs` (newest first, as history returns them), with a caption naming the
 * median and the longest duration (the scale).
 *
 * @example
 * ```ts
 * import { durationChart } from "./chart.ts";
 * // durationChart("backup", await kron.history("backup", { limit: 50 }), Date.now())
 * ```
 */
export function durationChart(job: string, runs: RunRecord[], now: number): Html {
  const oldestFirst = [...runs].reverse();
  const durations = oldestFirst.map((r) => runDuration(r, now));
  const known = durations.filter((d): d is number => d !== null);
  if (oldestFirst.length === 0 || known.length === 0) {
    return html`<p class="empty chart-empty">No runs yet.</p>`;
  }
  const max = Math.max(...known, 1);
  const slots = Math.max(MIN_SLOTS, oldestFirst.length);
  const bars = oldestFirst.map((r, i) => {
    const d = durations[i];
    // Runs with no duration (skipped, never started) still get a sliver, so they are counted.
    const h = d === null ? 3 : Math.max(3, Math.round((d / max) * HEIGHT));
    const o = outcomeOf(r);
    const label = `${words(o)}, ${fmtDuration(d)}, ${
      (r.startedAt ?? r.scheduledAt).toISOString().replace("T", " ").slice(0, 19)
    }Z`;
    return html`
      <a href="#run-${r.id}"
        tabindex="-1"><rect class="c-${o}" x="${i * SLOT + 1}" y="${HEIGHT - h}" width="${SLOT -
          2}" height="${h}"><title>${label}</title></rect></a>
    `;
  });
  const caption = `Duration of the last ${oldestFirst.length} run${
    oldestFirst.length === 1 ? "" : "s"
  } of ${job}: median ${fmtDuration(median(known))}, longest ${fmtDuration(max)}.`;
  return html`
    <figure class="chart" id="chart">
      <div
        class="chart-box"><span class="axis axis-max" aria-hidden="true">${fmtDuration(
          max,
        )}</span><svg viewBox="0 0 ${slots *
          SLOT} ${HEIGHT}" preserveAspectRatio="none" role="img" aria-labelledby="chart-cap">${bars}</svg></div>
      <figcaption id="chart-cap">${caption}</figcaption>
    </figure>
  `;
}
