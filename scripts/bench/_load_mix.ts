/**
 * The load torture's job mix for the lateness benches (interval_groups.ts, compaction.ts): 10,000
 * jobs, half `every = "10s"` anchored from `base` in groups of `group` due `gapMs` apart (as interval
 * jobs defined one after another fall due; `startAt` makes it the same in every run), half
 * `*\/15 * * * * *` (one crowd of 5,000). Job `load-NNNNN` is an every-10 s one when NNNNN is even.
 *
 * @example
 * ```ts
 * import { loadMix } from "./_load_mix.ts";
 * const jobs = loadMix(Date.parse("2026-01-01T00:00:00Z"), 125, 1);
 * jobs.length; // 10000
 * jobs[0][1].every; // "10s"
 * ```
 * @module
 */

/** Jobs in the mix. */
export const LOAD_MIX_JOBS = 10_000;

/** The mix's definitions, name → options. */
export function loadMix(
  base: number,
  group: number,
  gapMs: number,
): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  for (let i = 0; i < LOAD_MIX_JOBS; i++) {
    const name = `load-${String(i).padStart(5, "0")}`;
    if (i % 2 === 0) {
      const startAt = new Date(base + Math.floor(i / 2 / group) * gapMs).toISOString();
      out.push([name, { every: "10s", startAt }]);
    } else out.push([name, { cron: "*/15 * * * * *", timezone: "UTC" }]);
  }
  return out;
}
