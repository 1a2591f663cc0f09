// The pure late/down rules (src/policy/lateness.ts), case by case, on real compiled schedules.
import { assertEquals } from "../api/_assert.ts";
import { assessLateness, coveredBy, jobStateOf, type LatenessInput } from "../../src/policy/mod.ts";
import { compileSchedule } from "../../src/schedule/mod.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse("2026-03-02T10:00:00Z");
const hourly = compileSchedule({ every: "1h", startAt: null });

function input(over: Partial<LatenessInput> = {}): LatenessInput {
  return {
    graceMs: 10 * MIN,
    downAfterMs: null,
    schedule: hourly,
    anchorAt: T0,
    paused: false,
    coveredUntil: null,
    lastSuccessAt: null,
    watchFrom: null,
    ...over,
  };
}

Deno.test("late at the first uncovered occurrence + grace, down at the following one's", () => {
  assertEquals(assessLateness(input(), T0 + 10 * MIN - 1).health, "ok");
  const late = assessLateness(input(), T0 + 10 * MIN);
  assertEquals(late, {
    health: "late",
    expectedAt: T0,
    lateAt: T0 + 10 * MIN,
    downAt: T0 + HOUR + 10 * MIN,
    nextChangeAt: T0 + HOUR + 10 * MIN,
  });
  const down = assessLateness(input(), T0 + HOUR + 10 * MIN);
  assertEquals([down.health, down.nextChangeAt], ["down", null]);
});

Deno.test("a covered occurrence moves the expectation to the next one", () => {
  const a = assessLateness(input({ coveredUntil: T0, lastSuccessAt: T0 + MIN }), T0 + 30 * MIN);
  assertEquals([a.health, a.expectedAt, a.nextChangeAt], ["ok", T0 + HOUR, T0 + HOUR + 10 * MIN]);
});

Deno.test("a success forgives every occurrence whose deadline had passed by then", () => {
  // Nothing covered the 10:00 … 13:00 occurrences, but a success finished at 13:20.
  const a = assessLateness(
    input({ coveredUntil: T0, lastSuccessAt: T0 + 3 * HOUR + 20 * MIN }),
    T0 + 3 * HOUR + 20 * MIN,
  );
  assertEquals([a.health, a.expectedAt], ["ok", T0 + 4 * HOUR]);
  // An occurrence due within the grace before the success is still expected.
  const b = assessLateness(
    input({ coveredUntil: T0, lastSuccessAt: T0 + 3 * HOUR + 5 * MIN }),
    T0 + 3 * HOUR + 5 * MIN,
  );
  assertEquals([b.health, b.expectedAt], ["ok", T0 + 3 * HOUR]);
});

Deno.test("down_after makes a job down before the following occurrence's deadline", () => {
  const a = assessLateness(input({ downAfterMs: 20 * MIN }), T0 + 30 * MIN);
  assertEquals([a.health, a.downAt], ["down", T0 + 30 * MIN]);
  // …and never later than the following occurrence's deadline.
  const b = assessLateness(input({ downAfterMs: 5 * HOUR }), T0 + HOUR + 10 * MIN);
  assertEquals(b.health, "down");
});

Deno.test("no grace or paused: never late; watchFrom hides earlier occurrences", () => {
  assertEquals(assessLateness(input({ graceMs: null }), T0 + 9 * HOUR).health, "ok");
  assertEquals(assessLateness(input({ paused: true }), T0 + 9 * HOUR).health, "ok");
  const a = assessLateness(input({ watchFrom: T0 + 5 * HOUR + MIN }), T0 + 5 * HOUR + 30 * MIN);
  assertEquals([a.health, a.expectedAt], ["ok", T0 + 6 * HOUR]);
});

Deno.test("one-shots: late, down only through down_after, nothing expected once covered", () => {
  const once = compileSchedule({ at: new Date(T0).toISOString() });
  const base = input({ schedule: once });
  assertEquals(assessLateness(base, T0 + 99 * HOUR).health, "late");
  assertEquals(assessLateness(base, T0 + 99 * HOUR).downAt, null);
  assertEquals(assessLateness({ ...base, downAfterMs: HOUR }, T0 + 99 * HOUR).health, "down");
  const done = assessLateness({ ...base, coveredUntil: T0, lastSuccessAt: T0 }, T0 + 99 * HOUR);
  assertEquals([done.health, done.expectedAt], ["ok", null]);
});

Deno.test("cron: the first occurrence is the first match after registration", () => {
  const cron = compileSchedule({ cron: "0 2 * * *", timezone: "UTC" });
  const at = Date.parse("2026-03-03T02:00:00Z");
  const a = assessLateness(input({ schedule: cron }), at + 9 * MIN);
  assertEquals([a.health, a.expectedAt], ["ok", at]);
  assertEquals(assessLateness(input({ schedule: cron }), at + 10 * MIN).health, "late");
});

Deno.test("what a success covers: its occurrence, or for manual runs and pings their start", () => {
  assertEquals(coveredBy({ trigger: "schedule", scheduledAt: 1, startedAt: 9 }), 1);
  assertEquals(coveredBy({ trigger: "catchup", scheduledAt: 1, startedAt: 9 }), 1);
  assertEquals(coveredBy({ trigger: "manual", scheduledAt: 9, startedAt: 9 }), 9);
  assertEquals(coveredBy({ trigger: "ping", scheduledAt: 1, startedAt: 9 }), 9);
});

Deno.test("state precedence: orphaned > stopped > paused > down > late > running > failing > done > idle", () => {
  const f = {
    orphaned: false,
    stopped: false,
    paused: false,
    running: 1,
    failing: true,
    done: false,
  };
  assertEquals(jobStateOf({ ...f, health: "late" }), "late");
  assertEquals(jobStateOf({ ...f, health: "down" }), "down");
  assertEquals(jobStateOf({ ...f, health: "ok" }), "running");
  assertEquals(jobStateOf({ ...f, health: "down", paused: true }), "paused");
  assertEquals(jobStateOf({ ...f, health: "down", stopped: true }), "stopped");
});
