import assert from "node:assert/strict";
import { formatMs, formatTime, formatZoned, memoryIo, paint, table } from "../../src/cli/output.ts";
import { errorLine, exitCodeOf, usage } from "../../src/cli/errors.ts";
import { KronError } from "../../src/errors.ts";
import { exitCell, statusTable } from "../../src/cli/commands/status.ts";
import type { JobView } from "../../src/cli/views.ts";

Deno.test("table aligns columns and ignores colour codes", () => {
  assert.equal(
    table([["NAME", "STATE", "EXIT"], ["backup", paint("failing", "yellow", true), "1"]]),
    "NAME    STATE    EXIT\nbackup  \x1b[33mfailing\x1b[39m  1",
  );
  assert.equal(paint("x", "red", false), "x");
});

Deno.test("times and durations", () => {
  assert.equal(formatTime(null), "—");
  assert.match(formatTime("2026-02-18T02:00:00Z"), /^2026-02-1[78] \d\d:00:00$/);
  assert.equal(
    formatZoned(Date.UTC(2026, 0, 1, 7), "Europe/Rome"),
    "2026-01-01 08:00:00 +01:00 Europe/Rome",
  );
  assert.equal(formatZoned(Date.UTC(2026, 6, 1, 7), "UTC"), "2026-07-01 07:00:00 +00:00 UTC");
  assert.equal(
    formatZoned(Date.UTC(2026, 6, 1, 12), "America/New_York"),
    "2026-07-01 08:00:00 -04:00 America/New_York",
  );
  assert.equal(formatMs(850), "850ms");
  assert.equal(formatMs(12_300), "12.3s");
  assert.equal(formatMs(245_000), "4m05s");
  assert.equal(formatMs(7_800_000), "2h10m");
});

Deno.test("exit codes: usage and configuration errors are 2, the rest 1", () => {
  assert.equal(exitCodeOf(usage("x")), 2);
  assert.equal(exitCodeOf(new KronError("invalid_option", "x")), 2);
  assert.equal(exitCodeOf(new KronError("unknown_job", "x")), 1);
  assert.equal(exitCodeOf(new KronError("locked", "x")), 1);
  assert.equal(exitCodeOf(new Error("x")), 1);
  assert.equal(errorLine(new Error("first\nsecond")), "first");
});

Deno.test("status table: koku's columns, exit code or outcome", () => {
  const job = (
    name: string,
    state: string,
    last: JobView["lastRun"],
    next: string | null,
  ): JobView => ({
    name,
    state: state as JobView["state"],
    kind: "command",
    schedule: { cron: "0 2 * * *", timezone: null },
    scheduleText: "At 02:00",
    nextRunAt: next,
    lastRun: last,
    running: 0,
    consecutiveFailures: 0,
    health: "ok",
    grace: null,
    expectedAt: null,
  });
  const out = statusTable([
    job("backup", "idle", {
      id: "a",
      outcome: "succeeded",
      finishedAt: "2026-02-18T02:00:00Z",
      exitCode: 0,
    }, "2026-02-19T02:00:00Z"),
    job("digest", "failing", {
      id: "b",
      outcome: "timed_out",
      finishedAt: "2026-02-18T02:00:00Z",
      exitCode: null,
    }, null),
    job("fresh", "idle", null, null),
  ], false).split("\n");
  assert.match(out[0], /^NAME\s+STATE\s+LAST RUN\s+EXIT\s+NEXT RUN$/);
  assert.match(out[1], /^backup\s+idle\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+0\s+\d{4}-/);
  assert.match(out[2], /^digest\s+failing\s+\S+ \S+\s+timed_out\s+—$/);
  assert.match(out[3], /^fresh\s+idle\s+—\s+—\s+—$/);
  assert.equal(exitCell({ outcome: "succeeded", exitCode: null }), "ok");
  assert.equal(exitCell({ outcome: null, exitCode: null }), "—");
  const io = memoryIo();
  io.out("a");
  io.write("b");
  assert.equal(io.stdout, "a\nb");
});
