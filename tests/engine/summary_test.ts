import assert from "node:assert/strict";
import { KronError } from "../../src/errors.ts";
import { deferred, rig } from "./_helpers.ts";

// A summary is the status without its recent runs: every other field the same, in the same order.
function withoutRecent<T extends { recentRuns: unknown }>(status: T): Omit<T, "recentRuns"> {
  const { recentRuns: _, ...rest } = status;
  return rest;
}

Deno.test("summary: the status without recentRuns, before start, after runs and while running", async () => {
  const r = rig();
  const gate = deferred<void>();
  let calls = 0;
  r.engine.define("tick", { every: "1s" }, async () => {
    if (++calls === 7) await gate.promise;
  });
  r.engine.define("idle", { every: "1h", grace: "1m" }, () => {});
  assert.deepEqual(r.engine.summary("tick"), withoutRecent(r.engine.status("tick")));
  assert.equal(r.engine.summary("tick").lastRun, null);
  await r.engine.start();
  await r.clock.advance(6000);
  const status = r.engine.status("tick");
  assert.equal(status.recentRuns.length, 5);
  const summary = r.engine.summary("tick");
  assert.deepEqual(summary, withoutRecent(status));
  assert.deepEqual(Object.keys(summary), Object.keys(withoutRecent(status)));
  assert.equal(summary.lastRun?.outcome, "succeeded");
  assert.equal("recentRuns" in summary, false);
  await r.clock.advance(1000); // the 7th run waits on the gate: lastRun is the one in flight
  const running = r.engine.summary("tick");
  assert.equal(running.running, 1);
  assert.equal(running.lastRun?.outcome, null);
  assert.deepEqual(running, withoutRecent(r.engine.status("tick")));
  assert.deepEqual(r.engine.summary("idle"), withoutRecent(r.engine.status("idle")));
  assert.throws(() => r.engine.summary("nope"), KronError);
  gate.resolve();
  await r.engine.shutdown({ timeout: 0 });
});

Deno.test("folds: a job's count moves the moment an event of it is folded, not when durable", async () => {
  const r = rig();
  r.engine.define("a", { every: "1s" }, () => {});
  r.engine.define("b", { every: "1h" }, () => {});
  assert.equal(r.engine.folds("a"), 0);
  await r.engine.start();
  const a0 = r.engine.folds("a"), b0 = r.engine.folds("b");
  assert.ok(a0 >= 1, "JOB_DEFINED at least");
  r.engine.pause("a"); // no await: folded now, durable later
  assert.equal(r.engine.folds("a"), a0 + 1);
  assert.equal(r.engine.folds("b"), b0);
  r.engine.resume("a");
  await r.clock.advance(1000);
  assert.ok(r.engine.folds("a") >= a0 + 4, "resumed, started, succeeded");
  assert.equal(r.engine.folds("nope"), 0);
  await r.engine.shutdown();
});
