/**
 * The events the store and recovery benchmarks write: 1,000 realistic job definitions and a
 * stream of RUN_STARTED / RUN_SUCCEEDED pairs, deterministic in their index.
 *
 * @example
 * ```ts
 * import { definedEvent, runEvent } from "./_log_events.ts";
 * definedEvent(0).type; // "JOB_DEFINED"
 * runEvent(1).type; // "RUN_SUCCEEDED"
 * ```
 * @module
 */
import type { KronEvent } from "../../src/store/mod.ts";

/** Jobs the events are spread over. */
export const JOBS = 1000;
const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const ULID_CHARS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A ULID-shaped run id, deterministic in `i`. */
export function runId(i: number): string {
  let s = "01J";
  for (let k = 0, n = i * 2654435761; k < 23; k++, n = Math.floor(n / 7) + k * 31) {
    s += ULID_CHARS[n % 32];
  }
  return s;
}

/** The job of run `i` (or definition `i`). */
export function job(i: number): string {
  return `job-${String(i % JOBS).padStart(4, "0")}.sync`;
}

/** The JOB_DEFINED of job `i`: a command job with retries, a timeout and env names. */
export function definedEvent(i: number): KronEvent {
  const t = new Date(T0).toISOString();
  return {
    type: "JOB_DEFINED",
    time: t,
    job: job(i),
    def: {
      kind: "command",
      schedule: { cron: "*/5 * * * *", timezone: "Europe/Rome" },
      policy: {
        timeoutMs: 300000,
        retries: 2,
        retryDelayMs: 1000,
        retryMaxDelayMs: 3600000,
        overlap: "skip",
        onError: "continue",
        maxFailures: 3,
        misfire: "run_once",
        misfireGraceMs: 3600000,
        jitterMs: 0,
        historyLimit: 200,
      },
      description: "sync the thing",
      command: ["rsync", "-a", "/src", "/dst"],
      envNames: ["TOKEN"],
      envHash: "9f86d081884c7d65",
    },
    defHash: "2c26b46b68ffc68f",
    anchorAt: t,
    paused: false,
  };
}

/** Event `i` of a run-pair stream: even = RUN_STARTED, odd = RUN_SUCCEEDED. */
export function runEvent(i: number): KronEvent {
  const run = i >> 1;
  const j = job(run);
  const at = new Date(T0 + run * 1000).toISOString();
  if ((i & 1) === 0) {
    return {
      type: "RUN_STARTED",
      time: at,
      job: j,
      runId: runId(run),
      attempt: 1,
      scheduledAt: at,
      idempotencyKey: `${j}:${at}`,
      trigger: "schedule",
      jitterMs: 0,
    };
  }
  return {
    type: "RUN_SUCCEEDED",
    time: new Date(T0 + run * 1000 + 420).toISOString(),
    job: j,
    runId: runId(run),
    attempt: 1,
    durationMs: 420,
    exitCode: 0,
  };
}
