import assert from "node:assert/strict";
import { anchorFor, ScheduleError, toScheduleRecord } from "../../src/schedule/mod.ts";
import { toInstant } from "../../src/schedule/spec.ts";

function fails(f: () => unknown, field: string, message: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ScheduleError, `not a ScheduleError: ${e}`);
    assert.equal(e.code, "invalid_schedule");
    assert.equal(e.field, field);
    assert.equal(e.message, message);
    return true;
  });
}

Deno.test("toScheduleRecord: normalises each kind", () => {
  assert.deepEqual(toScheduleRecord({ cron: " 0 3 * * * " }), {
    cron: "0 3 * * *",
    timezone: null,
  });
  assert.deepEqual(toScheduleRecord({ cron: "@daily", timezone: "Europe/Rome" }), {
    cron: "@daily",
    timezone: "Europe/Rome",
  });
  assert.deepEqual(toScheduleRecord({ every: "30m" }), { every: "30m", startAt: null });
  assert.deepEqual(toScheduleRecord({ every: 1500 }), { every: 1500, startAt: null });
  assert.deepEqual(toScheduleRecord({ every: "1h", startAt: new Date("2026-01-01T00:00:00Z") }), {
    every: "1h",
    startAt: "2026-01-01T00:00:00.000Z",
  });
  assert.deepEqual(toScheduleRecord({ every: "1h", startAt: "2026-01-01T01:00:00+01:00" }), {
    every: "1h",
    startAt: "2026-01-01T00:00:00.000Z",
  });
  assert.deepEqual(toScheduleRecord({ after: "10s" }), { after: "10s" });
  assert.deepEqual(toScheduleRecord({ after: 0 }), { after: 0 });
  assert.deepEqual(toScheduleRecord({ at: "2026-12-24T18:00:00Z" }), {
    at: "2026-12-24T18:00:00.000Z",
  });
  assert.deepEqual(toScheduleRecord({ at: new Date(0) }), { at: "1970-01-01T00:00:00.000Z" });
  assert.deepEqual(toScheduleRecord({ at: 86_400_000 }), { at: "1970-01-02T00:00:00.000Z" });
  // undefined and null count as absent.
  assert.deepEqual(toScheduleRecord({ cron: undefined, every: "5m", at: undefined }), {
    every: "5m",
    startAt: null,
  });
});

Deno.test("toScheduleRecord: exactly one of cron, every, after, at", () => {
  fails(
    () => toScheduleRecord({}),
    "schedule",
    "schedule: exactly one of cron, every, after, at is required",
  );
  fails(
    () => toScheduleRecord({ cron: "* * * * *", every: "5m" }),
    "schedule",
    "schedule: exactly one of cron, every, after, at is required, not both cron and every",
  );
  fails(
    () => toScheduleRecord({ after: "1s", at: 0 }),
    "schedule",
    "schedule: exactly one of cron, every, after, at is required, not both after and at",
  );
  fails(
    () => toScheduleRecord({ cron: "* * * * *", every: "5m", at: 0 }),
    "schedule",
    "schedule: exactly one of cron, every, after, at is required, not cron, every and at together",
  );
});

Deno.test("toScheduleRecord: validates every part", () => {
  fails(() => toScheduleRecord({ cron: "* * *" }), "cron", "cron: expected 5 or 6 fields, got 3");
  fails(
    () => toScheduleRecord({ cron: "0 0 * * * foo" }),
    "cron",
    "cron: 6th field 'foo' is not a weekday",
  );
  fails(
    () => toScheduleRecord({ cron: "0 0 30 2 *" }),
    "cron",
    "cron: '0 0 30 2 *' never runs (no date matches it)",
  );
  fails(
    () => toScheduleRecord({ cron: "0 3 * * *", timezone: "Mars/Base" }),
    "timezone",
    "timezone: 'Mars/Base' is not an IANA time zone",
  );
  fails(
    () => toScheduleRecord({ cron: 5 as unknown as string }),
    "cron",
    'cron: expected a string such as "0 * * * *", got number',
  );
  fails(
    () => toScheduleRecord({ every: "0s" }),
    "every",
    'every: "0s" is too short: it must be longer than 0',
  );
  fails(
    () => toScheduleRecord({ every: 0 }),
    "every",
    "every: 0 is too short: it must be longer than 0",
  );
  fails(
    () => toScheduleRecord({ every: "5x" }),
    "every",
    'every: "5x" is not a duration (try "5m"; units are ms, s, m, h, d, w)',
  );
  fails(
    () => toScheduleRecord({ after: -1 }),
    "after",
    "after: -1 is not a duration (a number of ms ≥ 0)",
  );
  fails(
    () => toScheduleRecord({ at: "tomorrow" }),
    "at",
    'at: "tomorrow" is not a date (use ISO 8601, e.g. "2026-12-01T09:00:00Z")',
  );
  fails(
    () => toScheduleRecord({ at: "2026-02-30T10:00:00Z" }),
    "at",
    'at: "2026-02-30T10:00:00Z" is not a date (use ISO 8601, e.g. "2026-12-01T09:00:00Z")',
  );
  fails(() => toScheduleRecord({ at: new Date(NaN) }), "at", "at: Invalid Date is not a date");
  fails(
    () => toScheduleRecord({ at: Infinity }),
    "at",
    "at: Infinity is not a date (epoch milliseconds)",
  );
  fails(
    () => toScheduleRecord({ every: "1h", startAt: "soon" }),
    "startAt",
    'startAt: "soon" is not a date (use ISO 8601, e.g. "2026-12-01T09:00:00Z")',
  );
  fails(
    () => toScheduleRecord({ every: "1h", timezone: "UTC" }),
    "timezone",
    "timezone: only applies to cron schedules, not every",
  );
  fails(
    () => toScheduleRecord({ cron: "* * * * *", startAt: "2026-01-01T00:00:00Z" }),
    "startAt",
    "startAt: only applies to every schedules, not cron",
  );
});

Deno.test("toInstant: ISO 8601 forms, impossible dates refused", () => {
  const utc = (iso: string) => Date.parse(iso);
  assert.equal(toInstant("2026-01-01", "at"), utc("2026-01-01T00:00:00Z"));
  assert.equal(toInstant("2026-01-01T10:00Z", "at"), utc("2026-01-01T10:00:00Z"));
  assert.equal(toInstant("2026-01-01T10:00:00.123456Z", "at"), utc("2026-01-01T10:00:00.123Z"));
  assert.equal(toInstant("2026-01-01 10:00:00+01", "at"), utc("2026-01-01T09:00:00Z"));
  assert.equal(toInstant("2026-01-01T10:00:00-0530", "at"), utc("2026-01-01T15:30:00Z"));
  assert.equal(toInstant("2028-02-29T00:00:00Z", "at"), utc("2028-02-29T00:00:00Z"));
  // No zone: local time, as JavaScript reads it.
  assert.equal(toInstant("2026-07-01T10:00:00", "at"), new Date(2026, 6, 1, 10).getTime());
  for (
    const bad of [
      "2026-13-01",
      "2026-02-29",
      "2026-04-31T00:00Z",
      "2026-01-01T24:00Z",
      "2026-1-1",
      "1/1/2026",
    ]
  ) {
    assert.throws(() => toInstant(bad, "at"), ScheduleError, bad);
  }
});

Deno.test("anchorFor: the time persisted at first registration", () => {
  const now = Date.parse("2026-01-01T10:00:00Z");
  assert.equal(anchorFor({ cron: "0 3 * * *", timezone: null }, now), now);
  assert.equal(anchorFor({ every: "30m", startAt: null }, now), now + 1_800_000);
  assert.equal(
    anchorFor({ every: "30m", startAt: "2026-01-01T09:00:00.000Z" }, now),
    now - 3_600_000,
  );
  assert.equal(anchorFor({ after: "10s" }, now), now + 10_000);
  assert.equal(
    anchorFor({ at: "2026-12-24T18:00:00.000Z" }, now),
    Date.parse("2026-12-24T18:00:00Z"),
  );
  assert.throws(() => anchorFor({} as { after: string }, now), ScheduleError);
});
