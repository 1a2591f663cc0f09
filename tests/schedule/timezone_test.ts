import assert from "node:assert/strict";
import { ScheduleError, validateTimezone } from "../../src/schedule/mod.ts";
import { zoneFor } from "../../src/schedule/timezone.ts";

const ms = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

Deno.test("validateTimezone: IANA names pass, others fail naming the zone", () => {
  for (
    const tz of ["UTC", "Europe/Rome", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
  ) {
    assert.equal(validateTimezone(tz), tz);
  }
  for (const tz of ["Mars/Base", "Europe/Romeo", "nowhere"]) {
    assert.throws(() => validateTimezone(tz), (e: unknown) => {
      assert.ok(e instanceof ScheduleError);
      assert.equal(e.field, "timezone");
      assert.equal(e.message, `timezone: '${tz}' is not an IANA time zone`);
      return true;
    });
  }
  assert.throws(() => validateTimezone(""), { message: 'timezone: "" is not an IANA time zone' });
});

Deno.test("zone: offsets and transitions from Intl (no zoneinfo files)", () => {
  const rome = zoneFor("Europe/Rome");
  assert.equal(rome.offsetAt(ms("2026-01-15T12:00:00Z")), HOUR);
  assert.equal(rome.offsetAt(ms("2026-07-15T12:00:00Z")), 2 * HOUR);
  assert.equal(rome.offsetAt(ms("2026-03-29T00:59:59Z")), HOUR);
  assert.equal(rome.offsetAt(ms("2026-03-29T01:00:00Z")), 2 * HOUR);
  assert.deepEqual(rome.firstTransition(ms("2026-01-01T00:00:00Z"), ms("2027-01-01T00:00:00Z")), {
    at: ms("2026-03-29T01:00:00Z"),
    before: HOUR,
    after: 2 * HOUR,
  });
  assert.deepEqual(rome.lastTransition(ms("2026-01-01T00:00:00Z"), ms("2027-01-01T00:00:00Z")), {
    at: ms("2026-10-25T01:00:00Z"),
    before: 2 * HOUR,
    after: HOUR,
  });
  // (from, to]: a transition exactly at `from` is excluded, exactly at `to` included.
  assert.equal(rome.firstTransition(ms("2026-03-29T01:00:00Z"), ms("2026-04-01T00:00:00Z")), null);
  assert.equal(
    rome.firstTransition(ms("2026-03-01T00:00:00Z"), ms("2026-03-29T01:00:00Z"))?.at,
    ms("2026-03-29T01:00:00Z"),
  );
  const lordHowe = zoneFor("Australia/Lord_Howe");
  assert.equal(lordHowe.offsetAt(ms("2026-07-01T00:00:00Z")), 10.5 * HOUR);
  assert.equal(lordHowe.offsetAt(ms("2026-01-01T00:00:00Z")), 11 * HOUR);
  const kolkata = zoneFor("Asia/Kolkata");
  assert.equal(kolkata.offsetAt(ms("2026-07-01T00:00:00Z")), 5.5 * HOUR);
  assert.equal(
    kolkata.firstTransition(ms("2020-01-01T00:00:00Z"), ms("2030-01-01T00:00:00Z")),
    null,
  );
  assert.equal(zoneFor("UTC").offsetAt(0), 0);
  assert.equal(zoneFor("Europe/Rome"), rome);
});
