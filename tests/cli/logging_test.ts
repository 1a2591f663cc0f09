import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { configureLogging, resetLogging } from "../../src/cli/logging.ts";

Deno.test("text logs: time, level, category, message, then every field", async () => {
  const lines: string[] = [];
  await configureLogging("text", { write: (l) => lines.push(l) });
  try {
    getLogger(["kron", "engine"]).info(
      "run {job} {runId} attempt {attempt} succeeded in {durationMs} ms",
      {
        time: "2026-11-24T10:00:00.000Z",
        job: "backup",
        runId: "01JD3M5Q8R2X7K9V4T6W1Y0Z3A",
        attempt: 1,
        durationMs: 12,
        exitCode: 0,
        outcome: "succeeded",
      },
    );
    getLogger(["kron", "engine"]).warn("run {job} failed: {error}", {
      job: "a",
      error: "exit code 3",
    });
    getLogger(["kron", "engine"]).debug("hidden at info");
    assert.equal(lines.length, 2);
    assert.match(
      lines[0],
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}kron\.engine run backup 01JD3M5Q8R2X7K9V4T6W1Y0Z3A attempt 1 succeeded in 12 ms job=backup runId=01JD3M5Q8R2X7K9V4T6W1Y0Z3A attempt=1 durationMs=12 exitCode=0 outcome=succeeded$/,
    );
    assert.match(
      lines[1],
      / WARN {2}kron\.engine run a failed: exit code 3 job=a error="exit code 3"$/,
    );
  } finally {
    await resetLogging();
  }
});

Deno.test("json logs: one object per line, fields at the top level", async () => {
  const lines: string[] = [];
  await configureLogging("json", { write: (l) => lines.push(l) });
  try {
    getLogger(["kron", "job", "digest"]).with({ job: "digest", runId: "r1", attempt: 2 })
      .error("boom {what}", { what: new Error("bad\nthing"), message: "cannot override" });
    assert.equal(lines.length, 1);
    const rec = JSON.parse(lines[0]);
    assert.equal(rec.level, "error");
    assert.equal(rec.category, "kron.job.digest");
    assert.equal(rec.message, "boom bad");
    assert.equal(rec.job, "digest");
    assert.equal(rec.runId, "r1");
    assert.equal(rec.attempt, 2);
    assert.match(rec.time, /Z$/);
  } finally {
    await resetLogging();
  }
});
