import assert from "node:assert/strict";
import { nextRuns, ScheduleError } from "../../src/schedule/mod.ts";

const isoList = (dates: Date[]) => dates.map((d) => d.toISOString());

Deno.test("nextRuns: strictly after from, for every kind", () => {
  const from = new Date("2026-01-01T10:00:00Z");
  // A cron time equal to `from` is not included.
  assert.deepEqual(isoList(nextRuns({ cron: "0 * * * *", timezone: "UTC" }, from, 3)), [
    "2026-01-01T11:00:00.000Z",
    "2026-01-01T12:00:00.000Z",
    "2026-01-01T13:00:00.000Z",
  ]);
  // { every } is anchored at `from`.
  assert.deepEqual(isoList(nextRuns({ every: "15m" }, from, 2)), [
    "2026-01-01T10:15:00.000Z",
    "2026-01-01T10:30:00.000Z",
  ]);
  // …unless startAt says otherwise; past grid points are skipped.
  assert.deepEqual(isoList(nextRuns({ every: "1h", startAt: "2026-01-01T08:20:00Z" }, from, 2)), [
    "2026-01-01T10:20:00.000Z",
    "2026-01-01T11:20:00.000Z",
  ]);
  assert.deepEqual(isoList(nextRuns({ every: "1h", startAt: "2026-01-01T10:00:00Z" }, from, 1)), [
    "2026-01-01T11:00:00.000Z",
  ]);
  assert.deepEqual(isoList(nextRuns({ after: "10s" }, from, 3)), ["2026-01-01T10:00:10.000Z"]);
  assert.deepEqual(isoList(nextRuns({ at: "2026-01-01T10:00:00Z" }, from, 3)), []);
});

Deno.test("nextRuns: accepts stored records and a default time zone", () => {
  const from = new Date("2026-01-01T00:00:00Z");
  assert.deepEqual(
    isoList(
      nextRuns({ cron: "0 8 * * *", timezone: null }, from, 1, { defaultTimezone: "Europe/Rome" }),
    ),
    ["2026-01-01T07:00:00.000Z"],
  );
  assert.deepEqual(isoList(nextRuns({ every: "1d", startAt: null }, from, 1)), [
    "2026-01-02T00:00:00.000Z",
  ]);
  assert.deepEqual(nextRuns({ every: "1d" }, from, 0), []);
});

Deno.test("nextRuns: rejects an invalid schedule or date", () => {
  assert.throws(() => nextRuns({ cron: "* * *" }, new Date(), 1), ScheduleError);
  assert.throws(() => nextRuns({ every: "1d" }, new Date(NaN), 1), ScheduleError);
});
