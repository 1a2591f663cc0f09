// The pure rules of src/policy, case by case (the engine and the cluster agree on them through
// tests/policy/shared_test.ts).
import { assertEquals } from "../api/_assert.ts";
import {
  afterFailedAttempt,
  afterLastFailure,
  backoffDue,
  decideMisfire,
  decideOverlap,
  isLastAttempt,
  isMissed,
  jobStateOf,
  retryDelay,
  STATE_PRECEDENCE,
} from "../../src/policy/mod.ts";
import { compileSchedule } from "../../src/schedule/mod.ts";

const M = 60_000;
const minutely = compileSchedule({ every: "1m", startAt: null });

Deno.test("retry delay: equal jitter, doubling, capped", () => {
  const p = { retries: 5, retryDelayMs: 1000, retryMaxDelayMs: 3000 };
  assertEquals([1, 2, 3].map((a) => retryDelay(p, a, () => 0)), [500, 1000, 1500]);
  assertEquals([1, 2, 3].map((a) => retryDelay(p, a, () => 1)), [1000, 2000, 3000]);
});

Deno.test("last attempt and what follows a failed one", () => {
  const p = { retries: 1, retryDelayMs: 1000, retryMaxDelayMs: 60_000 };
  assertEquals([isLastAttempt(p, 1), isLastAttempt(p, 2)], [false, true]);
  assertEquals(afterFailedAttempt(p, 1, () => 0), {
    retry: { nextAttempt: 2, delayMs: 500 },
    dead: false,
  });
  assertEquals(afterFailedAttempt(p, 2, () => 0), { retry: null, dead: true });
  const none = { ...p, retries: 0 };
  assertEquals(afterFailedAttempt(none, 1, () => 0), { retry: null, dead: false });
  // An abandonment earns one immediate re-run without retries, a retry with them.
  assertEquals(afterFailedAttempt(none, 1, () => 0, true), {
    retry: { nextAttempt: 2, delayMs: 0 },
    dead: false,
  });
  assertEquals(afterFailedAttempt(none, 2, () => 0, true), { retry: null, dead: true });
  assertEquals(afterFailedAttempt(p, 1, () => 0, true).retry?.delayMs, 500);
});

Deno.test("on_error: stop after max_failures, backoff in periods", () => {
  assertEquals(afterLastFailure({ onError: "stop", maxFailures: 3 }, 1), {
    consecutiveFailures: 2,
    stop: false,
  });
  assertEquals(afterLastFailure({ onError: "stop", maxFailures: 3 }, 2).stop, true);
  assertEquals(afterLastFailure({ onError: "backoff", maxFailures: 1 }, 9).stop, false);
  const policy = { onError: "backoff" as const, maxFailures: 1, retryMaxDelayMs: 5 * M };
  const at = (failures: number, lastFinishedAt: number | null = 10 * M + 1) =>
    backoffDue({
      policy,
      schedule: minutely,
      anchorAt: 0,
      next: 11 * M,
      consecutiveFailures: failures,
      lastFinishedAt,
    });
  // finished just after 10m: +1, +2, +4 periods, then capped at 5 minutes.
  assertEquals([0, 1, 2, 3, 4].map((f) => at(f)), [11 * M, 12 * M, 13 * M, 15 * M, 16 * M]);
  assertEquals(
    backoffDue({
      policy: { ...policy, onError: "continue" },
      schedule: minutely,
      anchorAt: 0,
      next: 11 * M,
      consecutiveFailures: 3,
      lastFinishedAt: 0,
    }),
    11 * M,
  );
});

Deno.test("misfire: missed or late, the latest slot within the grace, never a burst", () => {
  const policy = { misfire: "run_once" as const, misfireGraceMs: 30 * M };
  assertEquals(isMissed(policy, 10 * M, 11 * M, 10 * M + 500), false);
  assertEquals(isMissed(policy, 10 * M, 11 * M, 11 * M), true);
  assertEquals(isMissed(policy, 10 * M, null, 41 * M), true);
  assertEquals(decideMisfire(policy, minutely, 0, 10 * M, 10 * M + 500), {
    run: 10 * M,
    trigger: "schedule",
    skipped: null,
  });
  assertEquals(decideMisfire(policy, minutely, 0, 10 * M, 15 * M + 5), {
    run: 15 * M,
    trigger: "catchup",
    skipped: { scheduledAt: 10 * M, until: null },
  });
  assertEquals(decideMisfire({ ...policy, misfire: "skip" }, minutely, 0, 10 * M, 15 * M), {
    run: null,
    trigger: null,
    skipped: { scheduledAt: 10 * M, until: 15 * M },
  });
});

Deno.test("overlap decision", () => {
  assertEquals(
    (["skip", "allow", "replace"] as const).map((o) => [
      decideOverlap(o, false),
      decideOverlap(o, true),
    ]),
    [["start", "skip"], ["start", "start"], ["start", "replace"]],
  );
});

Deno.test("state precedence: the first true fact in order wins", () => {
  const none = {
    orphaned: false,
    stopped: false,
    paused: false,
    running: 0,
    failing: false,
    done: false,
  };
  assertEquals(jobStateOf(none), "idle");
  const all: Record<string, unknown> = {
    orphaned: true,
    stopped: true,
    paused: true,
    health: "down",
    running: 1,
    failing: true,
    done: true,
  };
  const seen: string[] = [];
  const facts = { ...all } as unknown as Parameters<typeof jobStateOf>[0];
  const off: [string, unknown][] = [
    ["orphaned", false],
    ["stopped", false],
    ["paused", false],
    ["health", "late"],
    ["health", "ok"],
    ["running", 0],
    ["failing", false],
    ["done", false],
  ];
  for (const [key, value] of off) {
    seen.push(jobStateOf(facts));
    (facts as unknown as Record<string, unknown>)[key] = value;
  }
  seen.push(jobStateOf(facts));
  assertEquals(seen, [...STATE_PRECEDENCE]);
});
