import assert from "node:assert/strict";
import { Cron } from "croner";
import { compileSchedule, nextRuns, ScheduleError } from "../../src/schedule/mod.ts";
import { cronSchedule, wallPattern } from "../../src/schedule/cron.ts";
import { systemTimezone } from "../../src/schedule/timezone.ts";

const ms = (iso: string) => Date.parse(iso);
const iso = (t: number | null) => t === null ? null : new Date(t).toISOString();

/** The next `n` runs strictly after `from`, as ISO strings. */
function runs(cron: string, timezone: string, from: string, n: number): string[] {
  return nextRuns({ cron, timezone }, new Date(from), n).map((d) => d.toISOString());
}

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("cron: steps, ranges, lists, seconds", () => {
  assert.deepEqual(runs("*/15 * * * *", "UTC", "2026-01-01T10:07:00Z", 3), [
    "2026-01-01T10:15:00.000Z",
    "2026-01-01T10:30:00.000Z",
    "2026-01-01T10:45:00.000Z",
  ]);
  assert.deepEqual(runs("*/20 * * * * *", "UTC", "2026-01-01T10:00:05Z", 3), [
    "2026-01-01T10:00:20.000Z",
    "2026-01-01T10:00:40.000Z",
    "2026-01-01T10:01:00.000Z",
  ]);
  assert.deepEqual(runs("* * * * * *", "UTC", "2026-01-01T10:00:00.500Z", 2), [
    "2026-01-01T10:00:01.000Z",
    "2026-01-01T10:00:02.000Z",
  ]);
  assert.deepEqual(runs("0-30/10 8-9 * * *", "UTC", "2026-01-01T08:25:00Z", 4), [
    "2026-01-01T08:30:00.000Z",
    "2026-01-01T09:00:00.000Z",
    "2026-01-01T09:10:00.000Z",
    "2026-01-01T09:20:00.000Z",
  ]);
  assert.deepEqual(runs("5,10 1,2 * * *", "UTC", "2026-01-01T00:00:00Z", 3), [
    "2026-01-01T01:05:00.000Z",
    "2026-01-01T01:10:00.000Z",
    "2026-01-01T02:05:00.000Z",
  ]);
  assert.deepEqual(runs("0 0 */10 * *", "UTC", "2026-01-01T00:00:00Z", 4), [
    "2026-01-11T00:00:00.000Z",
    "2026-01-21T00:00:00.000Z",
    "2026-01-31T00:00:00.000Z",
    "2026-02-01T00:00:00.000Z",
  ]);
});

Deno.test("cron: month and weekday names, Sunday as 0 or 7, ?", () => {
  assert.deepEqual(runs("0 12 1 JAN,jul *", "UTC", "2026-03-01T00:00:00Z", 2), [
    "2026-07-01T12:00:00.000Z",
    "2027-01-01T12:00:00.000Z",
  ]);
  // 2026-01-02 is a Friday.
  assert.deepEqual(runs("0 9 * * MON-FRI", "UTC", "2026-01-02T10:00:00Z", 2), [
    "2026-01-05T09:00:00.000Z",
    "2026-01-06T09:00:00.000Z",
  ]);
  const sundays = ["2026-01-04T09:00:00.000Z", "2026-01-11T09:00:00.000Z"];
  assert.deepEqual(runs("0 9 * * 7", "UTC", "2026-01-01T00:00:00Z", 2), sundays);
  assert.deepEqual(runs("0 9 * * SUN", "UTC", "2026-01-01T00:00:00Z", 2), sundays);
  assert.deepEqual(runs("0 9 * * 0", "UTC", "2026-01-01T00:00:00Z", 2), sundays);
  assert.deepEqual(runs("0 9 ? * SUN", "UTC", "2026-01-01T00:00:00Z", 2), sundays);
  assert.deepEqual(runs("0 9 * * SAT-SUN", "UTC", "2026-01-01T00:00:00Z", 2), [
    "2026-01-03T09:00:00.000Z",
    "2026-01-04T09:00:00.000Z",
  ]);
});

Deno.test("cron: L, LW, W, nL, #, lists of #", () => {
  assert.deepEqual(runs("0 0 L * *", "UTC", "2026-01-15T00:00:00Z", 3), [
    "2026-01-31T00:00:00.000Z",
    "2026-02-28T00:00:00.000Z",
    "2026-03-31T00:00:00.000Z",
  ]);
  assert.deepEqual(runs("0 0 L * *", "UTC", "2028-02-01T00:00:00Z", 1), [
    "2028-02-29T00:00:00.000Z",
  ]);
  assert.deepEqual(runs("0 0 1,L * *", "UTC", "2026-01-15T00:00:00Z", 2), [
    "2026-01-31T00:00:00.000Z",
    "2026-02-01T00:00:00.000Z",
  ]);
  // Last weekday: Jan 31 and Feb 28 2026 are Saturdays, May 31 a Sunday.
  assert.deepEqual(runs("0 0 LW * *", "UTC", "2026-01-01T00:00:00Z", 5), [
    "2026-01-30T00:00:00.000Z",
    "2026-02-27T00:00:00.000Z",
    "2026-03-31T00:00:00.000Z",
    "2026-04-30T00:00:00.000Z",
    "2026-05-29T00:00:00.000Z",
  ]);
  // Nearest weekday: Aug 15 2026 is a Saturday, Nov 15 a Sunday; 1W never leaves the month.
  assert.deepEqual(runs("0 0 15W * *", "UTC", "2026-08-01T00:00:00Z", 4), [
    "2026-08-14T00:00:00.000Z",
    "2026-09-15T00:00:00.000Z",
    "2026-10-15T00:00:00.000Z",
    "2026-11-16T00:00:00.000Z",
  ]);
  assert.deepEqual(runs("0 0 1W * *", "UTC", "2026-07-15T00:00:00Z", 1), [
    "2026-08-03T00:00:00.000Z",
  ]);
  const lastFridays = ["2026-01-30T00:00:00.000Z", "2026-02-27T00:00:00.000Z"];
  assert.deepEqual(runs("0 0 * * 5L", "UTC", "2026-01-01T00:00:00Z", 2), lastFridays);
  assert.deepEqual(runs("0 0 * * FRIL", "UTC", "2026-01-01T00:00:00Z", 2), lastFridays);
  assert.deepEqual(runs("0 0 * * FRI#L", "UTC", "2026-01-01T00:00:00Z", 2), lastFridays);
  assert.deepEqual(runs("0 0 * * 5#2", "UTC", "2026-01-01T00:00:00Z", 1), [
    "2026-01-09T00:00:00.000Z",
  ]);
  assert.deepEqual(runs("0 0 * * MON#1,FRI#2", "UTC", "2026-01-01T00:00:00Z", 4), [
    "2026-01-05T00:00:00.000Z",
    "2026-01-09T00:00:00.000Z",
    "2026-02-02T00:00:00.000Z",
    "2026-02-13T00:00:00.000Z",
  ]);
});

Deno.test("cron: day-of-month and weekday both restricted is OR; + makes it AND", () => {
  assert.deepEqual(runs("0 0 13 * FRI", "UTC", "2026-02-01T00:00:00Z", 6), [
    "2026-02-06T00:00:00.000Z",
    "2026-02-13T00:00:00.000Z",
    "2026-02-20T00:00:00.000Z",
    "2026-02-27T00:00:00.000Z",
    "2026-03-06T00:00:00.000Z",
    "2026-03-13T00:00:00.000Z",
  ]);
  // A restricted day-of-month in any form (here a step) still ORs with the weekday.
  assert.deepEqual(runs("0 0 */15 * MON", "UTC", "2026-02-01T00:00:00Z", 4), [
    "2026-02-02T00:00:00.000Z",
    "2026-02-09T00:00:00.000Z",
    "2026-02-16T00:00:00.000Z",
    "2026-02-23T00:00:00.000Z",
  ]);
  // Friday the 13th.
  assert.deepEqual(runs("0 0 13 * +FRI", "UTC", "2026-01-01T00:00:00Z", 3), [
    "2026-02-13T00:00:00.000Z",
    "2026-03-13T00:00:00.000Z",
    "2026-11-13T00:00:00.000Z",
  ]);
  // A bare * (or ?) does not restrict: only the other field counts.
  assert.deepEqual(runs("0 0 * * FRI", "UTC", "2026-02-01T00:00:00Z", 1), [
    "2026-02-06T00:00:00.000Z",
  ]);
  assert.deepEqual(runs("0 0 13 * ?", "UTC", "2026-02-01T00:00:00Z", 1), [
    "2026-02-13T00:00:00.000Z",
  ]);
});

Deno.test("cron: nicknames", () => {
  const from = "2026-01-01T00:30:00Z";
  assert.deepEqual(runs("@hourly", "UTC", from, 1), ["2026-01-01T01:00:00.000Z"]);
  assert.deepEqual(runs("@daily", "UTC", from, 1), ["2026-01-02T00:00:00.000Z"]);
  assert.deepEqual(runs("@midnight", "UTC", from, 1), ["2026-01-02T00:00:00.000Z"]);
  assert.deepEqual(runs("@weekly", "UTC", from, 1), ["2026-01-04T00:00:00.000Z"]);
  assert.deepEqual(runs("@monthly", "UTC", from, 1), ["2026-02-01T00:00:00.000Z"]);
  assert.deepEqual(runs("@yearly", "UTC", from, 1), ["2027-01-01T00:00:00.000Z"]);
  assert.deepEqual(runs("@annually", "UTC", from, 1), ["2027-01-01T00:00:00.000Z"]);
});

Deno.test("cron: time zones, default zone and the process zone", () => {
  assert.deepEqual(runs("0 8 * * *", "Europe/Rome", "2026-01-01T00:00:00Z", 1), [
    "2026-01-01T07:00:00.000Z",
  ]);
  assert.deepEqual(runs("0 8 * * *", "Europe/Rome", "2026-07-01T00:00:00Z", 1), [
    "2026-07-01T06:00:00.000Z",
  ]);
  assert.deepEqual(runs("0 8 * * *", "Asia/Kolkata", "2026-01-01T00:00:00Z", 1), [
    "2026-01-01T02:30:00.000Z",
  ]);
  const from = ms("2026-01-01T00:00:00Z");
  const tokyo = compileSchedule({ cron: "0 8 * * *", timezone: null }, {
    defaultTimezone: "Asia/Tokyo",
  });
  assert.equal(iso(tokyo.next(null, from)), "2026-01-01T23:00:00.000Z");
  const own = compileSchedule({ cron: "0 8 * * *", timezone: "UTC" }, {
    defaultTimezone: "Asia/Tokyo",
  });
  assert.equal(iso(own.next(null, from)), "2026-01-01T08:00:00.000Z");
  const local = compileSchedule({ cron: "0 8 * * *", timezone: null });
  const expected = compileSchedule({ cron: "0 8 * * *", timezone: systemTimezone() });
  assert.equal(local.next(null, from), expected.next(null, from));
  assert.throws(
    () => compileSchedule({ cron: "0 8 * * *", timezone: "Mars/Base" }),
    { message: "timezone: 'Mars/Base' is not an IANA time zone" },
  );
});

Deno.test("cron: next() is strictly after the cursor and never before the anchor", () => {
  const s = compileSchedule({ cron: "0 * * * *", timezone: "UTC" });
  const anchor = ms("2026-01-01T10:00:00Z");
  assert.equal(iso(s.next(null, anchor)), "2026-01-01T11:00:00.000Z");
  assert.equal(iso(s.next(anchor - 5 * 3_600_000, anchor)), "2026-01-01T11:00:00.000Z");
  assert.equal(iso(s.next(ms("2026-01-01T11:00:00Z"), anchor)), "2026-01-01T12:00:00.000Z");
  assert.equal(iso(s.next(ms("2026-01-01T11:00:00.001Z"), anchor)), "2026-01-01T12:00:00.000Z");
  assert.equal(iso(s.next(ms("2026-01-01T10:59:59.999Z"), anchor)), "2026-01-01T11:00:00.000Z");
  assert.equal(s.kind, "cron");
});

Deno.test("cron: latest() finds the last run in (since, at], never at or before the anchor", () => {
  const s = compileSchedule({ cron: "*/15 * * * *", timezone: "UTC" });
  const at = ms("2026-01-01T10:20:00Z");
  assert.equal(iso(s.latest(at, at - 3_600_000, 0)), "2026-01-01T10:15:00.000Z");
  assert.equal(
    iso(s.latest(ms("2026-01-01T10:15:00Z"), at - 3_600_000, 0)),
    "2026-01-01T10:15:00.000Z",
  );
  assert.equal(s.latest(at, ms("2026-01-01T10:15:00Z"), 0), null);
  assert.equal(s.latest(at, 0, ms("2026-01-01T10:15:00Z")), null);
  assert.equal(iso(s.latest(at, 0, ms("2026-01-01T10:14:59Z"))), "2026-01-01T10:15:00.000Z");
  // Every second over an hour, a yearly job a year back: one backward search each.
  const seconds = compileSchedule({ cron: "* * * * * *", timezone: "UTC" });
  assert.equal(iso(seconds.latest(at + 500, at - 3_600_000, 0)), "2026-01-01T10:20:00.000Z");
  const yearly = compileSchedule({ cron: "@yearly", timezone: "Europe/Rome" });
  assert.equal(iso(yearly.latest(at, 0, 0)), "2025-12-31T23:00:00.000Z");
  assert.equal(yearly.latest(at, ms("2026-01-01T00:00:00Z"), 0), null);
});

Deno.test("cron: an expression that can never run is refused", () => {
  for (const e of ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 31 FEB *"]) {
    assert.throws(() => compileSchedule({ cron: e }), (err: unknown) => {
      assert.ok(err instanceof ScheduleError);
      assert.equal(err.message, `cron: '${e}' never runs (no date matches it)`);
      return true;
    });
  }
  // February 29th exists every four years; with a weekday it is an OR anyway.
  compileSchedule({ cron: "0 0 29 2 *" });
  compileSchedule({ cron: "0 0 31 2 MON" });
});

Deno.test("cron: one parse per expression, one compiled schedule per (expression, zone)", () => {
  assert.equal(
    compileSchedule({ cron: "7 7 * * *", timezone: "Europe/Rome" }),
    compileSchedule({ cron: "7 7 * * *", timezone: "Europe/Rome" }),
  );
  assert.equal(
    compileSchedule({ cron: "7 7 * * *", timezone: null }, { defaultTimezone: "Europe/Rome" }),
    compileSchedule({ cron: "7 7 * * *", timezone: "Europe/Rome" }),
  );
  assert.notEqual(cronSchedule("7 7 * * *", "Europe/Rome"), cronSchedule("7 7 * * *", "UTC"));
  assert.equal(wallPattern("7 7 * * *"), wallPattern(" 7  7 * * * "));
});

// ---------------------------------------------------------------------------------------------
// Daylight saving time. Fixed-time jobs (minute and hour fields not starting with *) run once
// right after a spring-forward jump that skipped them, and once in a repeated fall-back hour;
// wildcard jobs follow real time (skipped times don't run, repeated times run in both passes).
// ---------------------------------------------------------------------------------------------

Deno.test("DST Europe/Rome spring forward (2026-03-29 02:00 → 03:00 CEST, 01:00Z)", () => {
  // Fixed-time job at 02:30: runs at the jump (03:00 CEST), once.
  assert.deepEqual(runs("30 2 * * *", "Europe/Rome", "2026-03-28T00:00:00Z", 3), [
    "2026-03-28T01:30:00.000Z",
    "2026-03-29T01:00:00.000Z",
    "2026-03-30T00:30:00.000Z",
  ]);
  // Two skipped times of one fixed-time job: still a single run at the jump.
  assert.deepEqual(runs("0,30 2 * * *", "Europe/Rome", "2026-03-28T12:00:00Z", 2), [
    "2026-03-29T01:00:00.000Z",
    "2026-03-30T00:00:00.000Z",
  ]);
  // A job at 03:00 itself is not disturbed.
  assert.deepEqual(runs("0 3 * * *", "Europe/Rome", "2026-03-28T12:00:00Z", 2), [
    "2026-03-29T01:00:00.000Z",
    "2026-03-30T01:00:00.000Z",
  ]);
  // Wildcard jobs skip 02:xx: real time stays evenly spaced.
  assert.deepEqual(runs("*/30 * * * *", "Europe/Rome", "2026-03-29T00:00:00Z", 4), [
    "2026-03-29T00:30:00.000Z",
    "2026-03-29T01:00:00.000Z",
    "2026-03-29T01:30:00.000Z",
    "2026-03-29T02:00:00.000Z",
  ]);
  assert.deepEqual(runs("30 * * * *", "Europe/Rome", "2026-03-28T23:00:00Z", 3), [
    "2026-03-28T23:30:00.000Z",
    "2026-03-29T00:30:00.000Z",
    "2026-03-29T01:30:00.000Z",
  ]);
  assert.deepEqual(runs("@hourly", "Europe/Rome", "2026-03-29T00:00:00Z", 2), [
    "2026-03-29T01:00:00.000Z",
    "2026-03-29T02:00:00.000Z",
  ]);
});

Deno.test("DST Europe/Rome fall back (2026-10-25 03:00 CEST → 02:00 CET, 01:00Z)", () => {
  // Fixed-time job at 02:30: only the first 02:30 (CEST).
  assert.deepEqual(runs("30 2 * * *", "Europe/Rome", "2026-10-24T12:00:00Z", 2), [
    "2026-10-25T00:30:00.000Z",
    "2026-10-26T01:30:00.000Z",
  ]);
  // Also when its minute field is a range with a step, and with a seconds step.
  assert.deepEqual(runs("0-30/30 2 * * *", "Europe/Rome", "2026-10-24T23:30:00Z", 3), [
    "2026-10-25T00:00:00.000Z",
    "2026-10-25T00:30:00.000Z",
    "2026-10-26T01:00:00.000Z",
  ]);
  assert.deepEqual(runs("*/20 30 2 * * *", "Europe/Rome", "2026-10-25T00:00:00Z", 4), [
    "2026-10-25T00:30:00.000Z",
    "2026-10-25T00:30:20.000Z",
    "2026-10-25T00:30:40.000Z",
    "2026-10-26T01:30:00.000Z",
  ]);
  // From inside the repeated hour (second pass, 02:10 CET) it does not run again.
  assert.deepEqual(runs("30 2 * * *", "Europe/Rome", "2026-10-25T01:10:00Z", 1), [
    "2026-10-26T01:30:00.000Z",
  ]);
  // Wildcard jobs run in both passes.
  assert.deepEqual(runs("*/30 * * * *", "Europe/Rome", "2026-10-24T23:30:00Z", 6), [
    "2026-10-25T00:00:00.000Z",
    "2026-10-25T00:30:00.000Z",
    "2026-10-25T01:00:00.000Z",
    "2026-10-25T01:30:00.000Z",
    "2026-10-25T02:00:00.000Z",
    "2026-10-25T02:30:00.000Z",
  ]);
  // From inside the first pass (02:45 CEST), the next is 02:00 CET, not 03:00.
  assert.deepEqual(runs("*/30 * * * *", "Europe/Rome", "2026-10-25T00:45:00Z", 1), [
    "2026-10-25T01:00:00.000Z",
  ]);
  assert.deepEqual(runs("@hourly", "Europe/Rome", "2026-10-24T23:30:00Z", 3), [
    "2026-10-25T00:00:00.000Z",
    "2026-10-25T01:00:00.000Z",
    "2026-10-25T02:00:00.000Z",
  ]);
});

Deno.test("DST America/New_York (2026-03-08 02:00 → 03:00, 2026-11-01 02:00 → 01:00)", () => {
  assert.deepEqual(runs("30 2 * * *", "America/New_York", "2026-03-07T00:00:00Z", 3), [
    "2026-03-07T07:30:00.000Z",
    "2026-03-08T07:00:00.000Z", // 03:00 EDT, right after the jump
    "2026-03-09T06:30:00.000Z",
  ]);
  assert.deepEqual(runs("*/30 * * * *", "America/New_York", "2026-03-08T06:15:00Z", 3), [
    "2026-03-08T06:30:00.000Z", // 01:30 EST
    "2026-03-08T07:00:00.000Z", // 03:00 EDT
    "2026-03-08T07:30:00.000Z",
  ]);
  assert.deepEqual(runs("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2), [
    "2026-11-01T05:30:00.000Z", // 01:30 EDT only
    "2026-11-02T06:30:00.000Z",
  ]);
  assert.deepEqual(runs("30 * * * *", "America/New_York", "2026-11-01T05:00:00Z", 3), [
    "2026-11-01T05:30:00.000Z", // 01:30 EDT
    "2026-11-01T06:30:00.000Z", // 01:30 EST
    "2026-11-01T07:30:00.000Z", // 02:30 EST
  ]);
});

Deno.test("DST Australia/Sydney, southern hemisphere (2026-04-05 03:00 → 02:00, 2026-10-04 02:00 → 03:00)", () => {
  assert.deepEqual(runs("30 2 * * *", "Australia/Sydney", "2026-04-04T00:00:00Z", 2), [
    "2026-04-04T15:30:00.000Z", // 02:30 AEDT, first pass only
    "2026-04-05T16:30:00.000Z",
  ]);
  assert.deepEqual(runs("30 * * * *", "Australia/Sydney", "2026-04-04T15:00:00Z", 3), [
    "2026-04-04T15:30:00.000Z", // 02:30 AEDT
    "2026-04-04T16:30:00.000Z", // 02:30 AEST
    "2026-04-04T17:30:00.000Z",
  ]);
  assert.deepEqual(runs("30 2 * * *", "Australia/Sydney", "2026-10-03T00:00:00Z", 2), [
    "2026-10-03T16:00:00.000Z", // 03:00 AEDT, right after the jump
    "2026-10-04T15:30:00.000Z",
  ]);
  assert.deepEqual(runs("30 * * * *", "Australia/Sydney", "2026-10-03T15:00:00Z", 2), [
    "2026-10-03T15:30:00.000Z", // 01:30 AEST
    "2026-10-03T16:30:00.000Z", // 03:30 AEDT: 02:30 did not exist
  ]);
});

Deno.test("DST Australia/Lord_Howe, a 30-minute shift (2026-04-05 02:00 → 01:30, 2026-10-04 02:00 → 02:30)", () => {
  assert.deepEqual(runs("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z", 2), [
    "2026-04-04T14:45:00.000Z", // 01:45 +11, first pass only
    "2026-04-05T15:15:00.000Z",
  ]);
  assert.deepEqual(runs("*/15 * * * *", "Australia/Lord_Howe", "2026-04-04T14:00:00Z", 6), [
    "2026-04-04T14:15:00.000Z", // 01:15 +11
    "2026-04-04T14:30:00.000Z", // 01:30 +11
    "2026-04-04T14:45:00.000Z", // 01:45 +11
    "2026-04-04T15:00:00.000Z", // 01:30 +10:30
    "2026-04-04T15:15:00.000Z", // 01:45 +10:30
    "2026-04-04T15:30:00.000Z", // 02:00 +10:30
  ]);
  assert.deepEqual(runs("15 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z", 2), [
    "2026-10-03T15:30:00.000Z", // 02:30 +11, right after the jump
    "2026-10-04T15:15:00.000Z",
  ]);
  assert.deepEqual(runs("*/15 * * * *", "Australia/Lord_Howe", "2026-10-03T15:00:00Z", 3), [
    "2026-10-03T15:15:00.000Z", // 01:45 +10:30
    "2026-10-03T15:30:00.000Z", // 02:30 +11
    "2026-10-03T15:45:00.000Z",
  ]);
});

Deno.test("DST: agrees with croner's own time zone mode where both classify a job alike", () => {
  // croner 11 implements the same rules in its time zone mode with fixedTimeRule "no-wildcard"
  // (it differs from kron only in how it classifies some jobs, e.g. `0-30/10 2 * * *`, and for
  // gaps crossing midnight or longer than 3 hours). It serves here as an independent oracle.
  const random = mulberry32(7);
  const zones = [
    ["Europe/Rome", "2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"],
    ["America/New_York", "2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z"],
    ["Australia/Sydney", "2026-04-04T16:00:00Z", "2026-10-03T16:00:00Z"],
    ["Australia/Lord_Howe", "2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z"],
    ["America/Sao_Paulo", "2018-02-18T02:00:00Z", "2018-11-04T03:00:00Z"], // DST at midnight
    ["Asia/Kolkata", "2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"], // no DST
  ] as const;
  const patterns = [
    "30 2 * * *",
    "0 0 * * *",
    "15 1 * * *",
    "45 2 * * 0",
    "0 3 * * *",
    "*/15 * * * *",
    "30 * * * *",
    "*/7 * * * *",
    "0 */3 * * *",
    "*/20 * * * * *",
  ];
  let checked = 0;
  for (const [tz, ...transitions] of zones) {
    for (const pattern of patterns) {
      const ours = compileSchedule({ cron: pattern, timezone: tz });
      const theirs = new Cron(pattern, { timezone: tz, fixedTimeRule: "no-wildcard" });
      for (const transition of transitions) {
        for (let i = 0; i < 60; i++) {
          const cursor = ms(transition) + Math.floor((random() - 0.5) * 2 * 86_400_000);
          const expected = theirs.nextRun(new Date(cursor))?.getTime() ?? null;
          assert.equal(
            iso(ours.next(cursor, 0)),
            iso(expected),
            `${pattern} in ${tz} after ${iso(cursor)}`,
          );
          checked++;
        }
      }
    }
  }
  assert.equal(checked, 6 * 10 * 2 * 60);
});

Deno.test("DST: latest() agrees with iterating next() on random windows", () => {
  const random = mulberry32(11);
  const cases: [string, string, string][] = [
    ["30 2 * * *", "Europe/Rome", "2026-03-29T01:00:00Z"],
    ["30 2 * * *", "Europe/Rome", "2026-10-25T01:00:00Z"],
    ["0,30 2 * * *", "Europe/Rome", "2026-03-29T01:00:00Z"],
    ["0-59/20 2 * * *", "Europe/Rome", "2026-10-25T01:00:00Z"],
    ["*/15 * * * *", "Europe/Rome", "2026-10-25T01:00:00Z"],
    ["*/15 * * * *", "America/New_York", "2026-03-08T07:00:00Z"],
    ["30 1 * * *", "America/New_York", "2026-11-01T06:00:00Z"],
    ["*/10 * * * *", "Australia/Lord_Howe", "2026-04-04T15:00:00Z"],
    ["15 2 * * *", "Australia/Lord_Howe", "2026-10-03T15:30:00Z"],
    ["*/45 * * * * *", "Australia/Sydney", "2026-10-03T16:00:00Z"],
    ["0 9 * * MON-FRI", "Europe/Rome", "2026-03-29T01:00:00Z"],
    ["0 0 L * *", "UTC", "2026-03-29T01:00:00Z"],
  ];
  let checked = 0;
  for (const [cron, timezone, around] of cases) {
    const s = compileSchedule({ cron, timezone });
    for (let i = 0; i < 150; i++) {
      const since = ms(around) + Math.floor((random() - 0.7) * 4 * 86_400_000);
      const at = since + Math.floor(random() * random() * 3 * 86_400_000);
      const anchor = random() < 0.8 ? since - 1000 : since + Math.floor(random() * (at - since));
      let expected: number | null = null;
      for (let t = s.next(since, anchor); t !== null && t <= at; t = s.next(t, anchor)) {
        expected = t;
      }
      assert.equal(
        iso(s.latest(at, since, anchor)),
        iso(expected),
        `${cron} in ${timezone}: (${iso(since)}, ${iso(at)}] anchor ${iso(anchor)}`,
      );
      checked++;
    }
  }
  assert.equal(checked, 12 * 150);
});

Deno.test("DST: next() never repeats or goes backwards across a year of transitions", () => {
  for (const tz of ["Europe/Rome", "America/New_York", "Australia/Lord_Howe"]) {
    for (const cron of ["30 2 * * *", "*/30 * * * *", "0 1-3 * * *"]) {
      const s = compileSchedule({ cron, timezone: tz });
      let prev = ms("2026-01-01T00:00:00Z");
      for (let i = 0; i < 2000; i++) {
        const t = s.next(prev, 0);
        assert.ok(t !== null && t > prev, `${cron} ${tz} after ${iso(prev)}: ${iso(t)}`);
        prev = t;
      }
    }
  }
});

Deno.test("DST: a jump of more than 3 hours is a clock change, nothing is caught up (Pacific/Apia 2011)", () => {
  // Samoa skipped 2011-12-30 entirely (UTC-10 → UTC+14). Like Vixie cron, a fixed-time job whose
  // time fell in the skipped day does not run at the jump; the next is 09:00 on the 31st.
  assert.deepEqual(runs("0 9 * * *", "Pacific/Apia", "2011-12-29T12:00:00Z", 2), [
    "2011-12-29T19:00:00.000Z", // 09:00 on the 29th (UTC-10)
    "2011-12-30T19:00:00.000Z", // 09:00 on the 31st (UTC+14)
  ]);
  const s = compileSchedule({ cron: "0 9 * * *", timezone: "Pacific/Apia" });
  assert.equal(
    iso(s.latest(ms("2011-12-30T18:00:00Z"), ms("2011-12-29T20:00:00Z"), 0)),
    null,
  );
});
