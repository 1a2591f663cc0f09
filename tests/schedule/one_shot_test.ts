import assert from "node:assert/strict";
import { anchorFor, compileSchedule, nextRuns } from "../../src/schedule/mod.ts";

const ms = (iso: string) => Date.parse(iso);

Deno.test("after: due once, the delay after registration", () => {
  const registered = ms("2026-01-01T10:00:00Z");
  const anchor = anchorFor({ after: "10s" }, registered);
  assert.equal(anchor, registered + 10_000);
  const s = compileSchedule({ after: "10s" });
  assert.equal(s.kind, "after");
  assert.equal(s.next(null, anchor), anchor);
  assert.equal(s.next(registered, anchor), anchor);
  assert.equal(s.next(anchor, anchor), null);
  assert.equal(s.next(anchor + 1, anchor), null);
  // A restart keeps the persisted anchor: the cursor alone decides.
  assert.equal(s.next(null, anchor), anchor);
});

Deno.test("at: due once at the given time", () => {
  const at = "2026-12-24T18:00:00Z";
  for (const value of [at, new Date(at), ms(at)]) {
    assert.equal(anchorFor({ at: value }, 0), ms(at));
    const s = compileSchedule({ at: value });
    assert.equal(s.kind, "at");
    assert.equal(s.next(null, ms(at)), ms(at));
    assert.equal(s.next(ms(at) - 1, ms(at)), ms(at));
    assert.equal(s.next(ms(at), ms(at)), null);
  }
  // A time in the past is still the first occurrence (the misfire policy decides what to do).
  assert.equal(compileSchedule({ at: 5 }).next(null, 5), 5);
});

Deno.test("one-shots: latest() is the anchor when it is in (since, at]", () => {
  const s = compileSchedule({ after: "1m" });
  assert.equal(s.latest(100, 0, 50), 50);
  assert.equal(s.latest(50, 0, 50), 50);
  assert.equal(s.latest(49, 0, 50), null);
  assert.equal(s.latest(100, 50, 50), null);
});

Deno.test("one-shots: nextRuns gives at most one time, strictly after from", () => {
  const from = new Date("2026-01-01T00:00:00Z");
  assert.deepEqual(nextRuns({ after: "1h" }, from, 5), [new Date("2026-01-01T01:00:00Z")]);
  assert.deepEqual(nextRuns({ at: "2026-06-01T00:00:00Z" }, from, 5), [
    new Date("2026-06-01T00:00:00Z"),
  ]);
  assert.deepEqual(nextRuns({ at: "2025-06-01T00:00:00Z" }, from, 5), []);
  assert.deepEqual(nextRuns({ at: from }, from, 5), []);
});
