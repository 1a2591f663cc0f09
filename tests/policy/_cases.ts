// The cases one table-driven suite runs against both the embedded engine and the cluster
// (tests/policy/shared_test.ts): the same job, the same outcomes, the same expected events and
// state. Each case triggers occurrences by hand (a manual run follows retries and on_error as
// a scheduled one does) of a job due every hour from 10 minutes after its definition, so no
// scheduled slot falls due during a case, and reads where the job's next slot is.
import type { JobOptions } from "../../src/engine/types.ts";

export const HOUR = 3_600_000;
/** The job's first slot, this long after the case starts. */
export const FIRST_SLOT_IN = 10 * 60_000;

export interface Case {
  name: string;
  options: Partial<JobOptions>;
  /** Per occurrence, the outcome of each attempt in order. */
  occurrences: ("ok" | "fail")[][];
  expect: {
    /** RUN_* events as "TYPE n" (n: attempt, nextAttempt for RUN_RETRYING, attempts for RUN_DEAD). */
    events: string[];
    state: string;
    consecutiveFailures: number;
    /** The next run's slot: 0 = the first slot, k = k hours later, null = none. */
    nextSlot: number | null;
  };
}

const fast = { retryDelay: "40ms" } as const;

export const CASES: Case[] = [
  {
    name: "a failure without retries is no dead run; on_error continue keeps the schedule",
    options: {},
    occurrences: [["fail"]],
    expect: {
      events: ["RUN_STARTED 1", "RUN_FAILED 1"],
      state: "failing",
      consecutiveFailures: 1,
      nextSlot: 0,
    },
  },
  {
    name: "retries used up: RUN_RETRYING for each, RUN_DEAD after the last attempt",
    options: { retries: 2, ...fast },
    occurrences: [["fail", "fail", "fail"]],
    expect: {
      events: [
        "RUN_STARTED 1",
        "RUN_FAILED 1",
        "RUN_RETRYING 2",
        "RUN_STARTED 2",
        "RUN_FAILED 2",
        "RUN_RETRYING 3",
        "RUN_STARTED 3",
        "RUN_FAILED 3",
        "RUN_DEAD 3",
      ],
      state: "failing",
      consecutiveFailures: 1,
      nextSlot: 0,
    },
  },
  {
    name: "a retry that succeeds is no failure of the job",
    options: { retries: 1, ...fast, onError: "stop", maxFailures: 1 },
    occurrences: [["fail", "ok"]],
    expect: {
      events: [
        "RUN_STARTED 1",
        "RUN_FAILED 1",
        "RUN_RETRYING 2",
        "RUN_STARTED 2",
        "RUN_SUCCEEDED 2",
      ],
      state: "idle",
      consecutiveFailures: 0,
      nextSlot: 0,
    },
  },
  {
    name: "on_error stop: stopped after max_failures failed occurrences, nothing next",
    options: { onError: "stop", maxFailures: 2 },
    occurrences: [["fail"], ["fail"]],
    expect: {
      events: ["RUN_STARTED 1", "RUN_FAILED 1", "RUN_STARTED 1", "RUN_FAILED 1"],
      state: "stopped",
      consecutiveFailures: 2,
      nextSlot: null,
    },
  },
  {
    name: "on_error stop counts only an occurrence's last attempt",
    options: { onError: "stop", maxFailures: 2, retries: 1, ...fast },
    occurrences: [["fail", "fail"]],
    expect: {
      events: [
        "RUN_STARTED 1",
        "RUN_FAILED 1",
        "RUN_RETRYING 2",
        "RUN_STARTED 2",
        "RUN_FAILED 2",
        "RUN_DEAD 2",
      ],
      state: "failing",
      consecutiveFailures: 1,
      nextSlot: 0,
    },
  },
  {
    name: "on_error backoff: one failure pushes the next run one period out",
    options: { onError: "backoff" },
    occurrences: [["fail"]],
    expect: {
      events: ["RUN_STARTED 1", "RUN_FAILED 1"],
      state: "failing",
      consecutiveFailures: 1,
      nextSlot: 1,
    },
  },
  {
    name: "on_error backoff: the delay doubles per failure, capped by retry_max_delay",
    options: { onError: "backoff", retryMaxDelay: "3h" },
    occurrences: [["fail"], ["fail"], ["fail"]],
    expect: {
      events: [
        "RUN_STARTED 1",
        "RUN_FAILED 1",
        "RUN_STARTED 1",
        "RUN_FAILED 1",
        "RUN_STARTED 1",
        "RUN_FAILED 1",
      ],
      state: "failing",
      consecutiveFailures: 3,
      nextSlot: 3,
    },
  },
  {
    name: "on_error backoff: two failures, two periods",
    options: { onError: "backoff", retryMaxDelay: "3h" },
    occurrences: [["fail"], ["fail"]],
    expect: {
      events: ["RUN_STARTED 1", "RUN_FAILED 1", "RUN_STARTED 1", "RUN_FAILED 1"],
      state: "failing",
      consecutiveFailures: 2,
      nextSlot: 2,
    },
  },
  {
    name: "on_error backoff: a success returns to the schedule",
    options: { onError: "backoff", retryMaxDelay: "3h" },
    occurrences: [["fail"], ["fail"], ["ok"]],
    expect: {
      events: [
        "RUN_STARTED 1",
        "RUN_FAILED 1",
        "RUN_STARTED 1",
        "RUN_FAILED 1",
        "RUN_STARTED 1",
        "RUN_SUCCEEDED 1",
      ],
      state: "idle",
      consecutiveFailures: 0,
      nextSlot: 0,
    },
  },
];

const RUN_EVENTS = new Set([
  "RUN_STARTED",
  "RUN_SUCCEEDED",
  "RUN_FAILED",
  "RUN_TIMED_OUT",
  "RUN_RETRYING",
  "RUN_DEAD",
  "RUN_SKIPPED",
  "RUN_CANCELLED",
]);

/** Events as the cases write them ("TYPE n"), RUN_* only. */
export function project(events: Record<string, unknown>[]): string[] {
  return events.filter((e) => RUN_EVENTS.has(e.type as string)).map((e) =>
    `${e.type} ${e.nextAttempt ?? e.attempts ?? e.attempt ?? ""}`.trim()
  );
}
