/**
 * Misfire: what happens to occurrences missed while kron was down, the machine slept or a
 * cluster ticker was late (DESIGN §3): never a burst of catch-up runs. `run_once` runs the
 * latest missed slot within `misfire_grace`; `skip` runs none.
 *
 * @example
 * ```ts
 * import { isMissed } from "./misfire.ts";
 * isMissed({ misfireGraceMs: 1_000 }, 0, 60_000, 500); // false: on time
 * isMissed({ misfireGraceMs: 1_000 }, 0, 60_000, 61_000); // true: the next slot is due too
 * ```
 * @module
 */
import type { CompiledSchedule } from "../schedule/mod.ts";

/**
 * The part of a job's policy misfire reads.
 *
 * @example
 * ```ts
 * import type { MisfirePolicy } from "./misfire.ts";
 * const p: MisfirePolicy = { misfire: "run_once", misfireGraceMs: 3_600_000 };
 * ```
 */
export interface MisfirePolicy {
  misfire: "run_once" | "skip";
  misfireGraceMs: number;
}

/**
 * True when the slot due at `at` was missed (its following slot `following` is due as well,
 * or it is older than `misfire_grace`) rather than merely a little late.
 *
 * @example
 * ```ts
 * import { isMissed } from "./misfire.ts";
 * isMissed({ misfireGraceMs: 1_000 }, 0, null, 2_000); // true: past the grace
 * ```
 */
export function isMissed(
  policy: { misfireGraceMs: number },
  at: number,
  following: number | null,
  now: number,
): boolean {
  return (following !== null && following <= now) || now - at > policy.misfireGraceMs;
}

/**
 * The decision for missed slots from `first` on: the slot to run now (null: none) with its
 * trigger, and what is recorded skipped (`RUN_SKIPPED` reason `misfire`): from `first`, `until`
 * now when nothing runs, or (`until` null) the slots before the one that runs.
 *
 * @example
 * ```ts
 * import { decideMisfire } from "./misfire.ts";
 * import { compileSchedule } from "../schedule/mod.ts";
 * const schedule = compileSchedule({ every: "1m", startAt: null });
 * const policy = { misfire: "run_once" as const, misfireGraceMs: 3_600_000 };
 * decideMisfire(policy, schedule, 0, 60_000, 150_000);
 * // { run: 120000, trigger: "catchup", skipped: { scheduledAt: 60000, until: null } }
 * ```
 */
export function decideMisfire(
  policy: MisfirePolicy,
  schedule: CompiledSchedule,
  anchorAt: number,
  first: number,
  now: number,
): MisfireDecision {
  const latest = policy.misfire === "run_once"
    ? schedule.latest(now, Math.max(now - policy.misfireGraceMs, first - 1), anchorAt)
    : null;
  if (latest === null) {
    return { run: null, trigger: null, skipped: { scheduledAt: first, until: now } };
  }
  return {
    run: latest,
    trigger: latest === first && now - first < 1000 ? "schedule" : "catchup",
    skipped: latest > first ? { scheduledAt: first, until: null } : null,
  };
}

/**
 * The outcome of {@link decideMisfire}.
 *
 * @example
 * ```ts
 * import type { MisfireDecision } from "./misfire.ts";
 * const none: MisfireDecision = { run: null, trigger: null, skipped: { scheduledAt: 0, until: 5 } };
 * ```
 */
export type MisfireDecision =
  | { run: null; trigger: null; skipped: { scheduledAt: number; until: number } }
  | {
    run: number;
    trigger: "schedule" | "catchup";
    skipped: { scheduledAt: number; until: null } | null;
  };
