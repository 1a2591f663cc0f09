/**
 * Late and down (DESIGN §3, docs/design.md "Late and down"): the dead-man's switch of a job with
 * a `grace`, as one pure function of the job's facts and the time. The engine's watcher
 * (src/engine/lateness.ts) records the transitions it finds as `JOB_LATE` / `JOB_DOWN` /
 * `JOB_RECOVERED`; the offline `kron status` asks the same function with the current time.
 *
 * The rules, in terms of the job's schedule `next(cursor, anchor)`:
 * - An occurrence is *covered* once a run counted for it succeeded: a scheduled run (and its
 *   retries, catch-up, recovery) counts for its `scheduledAt`; a manual run or a ping counts for
 *   the latest occurrence due at or before its start, so it covers every occurrence up to its
 *   start (`coveredUntil` is that start).
 * - A success at `f` also forgives every occurrence whose deadline (due + grace) had passed by
 *   `f`: the next success returns the job to normal.
 * - Occurrences at or before `watchFrom` are not expected (a resume, or a changed grace, starts
 *   the watch over); nor are those before the job's first occurrence (its anchor).
 * - The first occurrence left is *expected*; `due + grace` passing makes the job `late`; the
 *   following occurrence's `due + grace`, or `late + down_after`, whichever is first, `down`.
 * - Paused jobs, and jobs without a grace, are never late or down.
 *
 * @example
 * ```ts
 * import { assessLateness } from "./lateness.ts";
 * const hourly = { next: (c: number | null, a: number) => c === null ? a : a + (Math.floor((c - a) / 3_600_000) + 1) * 3_600_000 };
 * const a = assessLateness({
 *   graceMs: 600_000, downAfterMs: null, schedule: hourly, anchorAt: 0, paused: false,
 *   coveredUntil: null, lastSuccessAt: null, watchFrom: null,
 * }, 700_000);
 * a.health; // "late": the occurrence due at 0 was not covered by 0 + 10 min
 * ```
 * @module
 */

/** A job's lateness: `ok`, `late` (one occurrence overdue) or `down`. */
export type Health = "ok" | "late" | "down";

/**
 * The facts lateness is decided from (times in epoch ms).
 *
 * @example
 * ```ts
 * import type { LatenessInput } from "./lateness.ts";
 * const input: LatenessInput = {
 *   graceMs: null, downAfterMs: null, schedule: { next: () => null }, anchorAt: 0,
 *   paused: false, coveredUntil: null, lastSuccessAt: null, watchFrom: null,
 * };
 * ```
 */
export interface LatenessInput {
  /** How long after its due time an occurrence may still succeed; null: never late. */
  graceMs: number | null;
  /** Late this long makes the job down (null: only the following occurrence does). */
  downAfterMs: number | null;
  /** The job's schedule: the next occurrence strictly after a cursor (null: the first). */
  schedule: { next(cursorMs: number | null, anchorMs: number): number | null };
  /** The schedule's anchor. */
  anchorAt: number;
  /** Paused jobs are never late. */
  paused: boolean;
  /** Every occurrence at or before this time is covered by a success. */
  coveredUntil: number | null;
  /** When the last success finished. */
  lastSuccessAt: number | null;
  /** Occurrences at or before this time are not expected (resume, changed grace). */
  watchFrom: number | null;
}

/**
 * What {@link assessLateness} finds.
 *
 * @example
 * ```ts
 * import type { LatenessAssessment } from "./lateness.ts";
 * const ok: LatenessAssessment = {
 *   health: "ok", expectedAt: null, lateAt: null, downAt: null, nextChangeAt: null,
 * };
 * ```
 */
export interface LatenessAssessment {
  /** The job's lateness at the time asked. */
  health: Health;
  /** Due time of the first occurrence not yet covered (null: none expected). */
  expectedAt: number | null;
  /** `expectedAt + grace`: late from then on. */
  lateAt: number | null;
  /** Down from then on (null: never, with nothing more expected). */
  downAt: number | null;
  /** When `health` changes next if no success comes (null: not by time alone). */
  nextChangeAt: number | null;
}

const NONE: LatenessAssessment = Object.freeze({
  health: "ok",
  expectedAt: null,
  lateAt: null,
  downAt: null,
  nextChangeAt: null,
}) as LatenessAssessment;

/**
 * Decides a job's lateness at `now` (see the module's rules).
 *
 * @example
 * ```ts
 * import { assessLateness } from "./lateness.ts";
 * const once = { next: (c: number | null, a: number) => c === null || c < a ? a : null };
 * const input = {
 *   graceMs: 1_000, downAfterMs: 5_000, schedule: once, anchorAt: 10_000, paused: false,
 *   coveredUntil: null, lastSuccessAt: null, watchFrom: null,
 * };
 * assessLateness(input, 11_500).health; // "late"
 * assessLateness(input, 16_000).health; // "down" (late for down_after)
 * assessLateness({ ...input, coveredUntil: 10_000, lastSuccessAt: 11_600 }, 20_000).health; // "ok"
 * ```
 */
export function assessLateness(input: LatenessInput, now: number): LatenessAssessment {
  const { graceMs, downAfterMs, schedule, anchorAt } = input;
  if (graceMs === null || input.paused) return NONE;
  let base: number | null = input.watchFrom;
  if (input.coveredUntil !== null && (base === null || input.coveredUntil > base)) {
    base = input.coveredUntil;
  }
  if (input.lastSuccessAt !== null) {
    const forgiven = input.lastSuccessAt - graceMs;
    if (base === null || forgiven > base) base = forgiven;
  }
  const first = schedule.next(null, anchorAt);
  const after = base === null ? first : schedule.next(base, anchorAt);
  if (first === null || after === null) return NONE;
  const expectedAt = Math.max(first, after);
  const lateAt = expectedAt + graceMs;
  const following = schedule.next(expectedAt, anchorAt);
  let downAt: number | null = following === null ? null : following + graceMs;
  if (downAfterMs !== null && (downAt === null || lateAt + downAfterMs < downAt)) {
    downAt = lateAt + downAfterMs;
  }
  const health: Health = downAt !== null && now >= downAt ? "down" : now >= lateAt ? "late" : "ok";
  const nextChangeAt = health === "ok" ? lateAt : health === "late" ? downAt : null;
  return { health, expectedAt, lateAt, downAt, nextChangeAt };
}

/**
 * The time a successful run covers (see {@link LatenessInput.coveredUntil}): a manual run or
 * a ping its start, any other run its occurrence.
 *
 * @example
 * ```ts
 * import { coveredBy } from "./lateness.ts";
 * coveredBy({ trigger: "manual", scheduledAt: 5, startedAt: 5 }); // 5
 * coveredBy({ trigger: "retry", scheduledAt: 0, startedAt: 60_000 }); // 0
 * ```
 */
export function coveredBy(
  run: { trigger: string; scheduledAt: number; startedAt: number },
): number {
  return run.trigger === "manual" || run.trigger === "ping" ? run.startedAt : run.scheduledAt;
}
