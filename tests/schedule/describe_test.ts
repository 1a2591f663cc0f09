import assert from "node:assert/strict";
import { compileSchedule } from "../../src/schedule/mod.ts";
import {
  describeAfter,
  describeAt,
  describeCron,
  describeEvery,
} from "../../src/schedule/describe.ts";

Deno.test("describe: cron in words, with the time zone when one is set", () => {
  const cases: [string, string][] = [
    ["0 8 * * MON-FRI", "At 08:00, Monday through Friday"],
    ["*/15 * * * *", "Every 15 minutes"],
    ["*/10 * * * * *", "Every 10 seconds"],
    ["@daily", "At 00:00"],
    ["@hourly", "Every hour"],
    ["0 0 L * *", "At 00:00, on the last day of the month"],
    ["0 0 * * 5#2", "At 00:00, on the second Friday of the month"],
    ["0 0 13 * +FRI", "At 00:00, on day 13 of the month, and on Friday (only when both match)"],
  ];
  for (const [cron, words] of cases) {
    assert.equal(compileSchedule({ cron, timezone: null }).describe(), words);
    assert.equal(
      compileSchedule({ cron, timezone: "Europe/Rome" }).describe(),
      `${words} (Europe/Rome)`,
    );
  }
  assert.equal(
    compileSchedule({ cron: "30 2 * * *", timezone: null }, { defaultTimezone: "UTC" }).describe(),
    "At 02:30 (UTC)",
  );
  assert.equal(describeCron("not a cron", null), "cron 'not a cron'");
});

Deno.test("describe: every, after, at", () => {
  const every: [string | number, string][] = [
    ["250ms", "every 250 milliseconds"],
    ["1s", "every second"],
    ["30s", "every 30 seconds"],
    ["1m", "every minute"],
    ["5m", "every 5 minutes"],
    ["30m", "every 30 minutes"],
    ["2h", "every 2 hours"],
    ["1h30m", "every 1h30m"],
    ["1d", "every day"],
    ["7d", "every 7 days"],
    [1500, "every 1s500ms"],
  ];
  for (const [value, words] of every) {
    assert.equal(compileSchedule({ every: value }).describe(), words);
  }
  assert.equal(compileSchedule({ after: "10s" }).describe(), "once, 10s after registration");
  assert.equal(compileSchedule({ after: 0 }).describe(), "once, at registration");
  assert.equal(
    compileSchedule({ at: "2026-12-24T18:00:00Z" }).describe(),
    "once at 2026-12-24T18:00:00.000Z",
  );
  assert.equal(describeEvery(90_000), "every 1m30s");
  assert.equal(describeAfter(3_600_000), "once, 1h after registration");
  assert.equal(describeAt(0), "once at 1970-01-01T00:00:00.000Z");
});
