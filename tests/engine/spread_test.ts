// Recovery re-runs found at start are spread out (src/engine/spread.ts): a first slice at once,
// then a few every SPREAD_SPACING_MS while the engine is busy, each exactly once.
import assert from "node:assert/strict";
import { SPREAD_IN_FLIGHT, SPREAD_MIN_SLICE, SPREAD_SPACING_MS } from "../../src/engine/spread.ts";
import { deferred, rig } from "./_helpers.ts";

const JOBS = 200;

Deno.test("recovery re-runs are started a slice at a time, not all at once, each once", async () => {
  const r = rig();
  const gate = deferred();
  for (let i = 0; i < JOBS; i++) r.engine.define(`job-${i}`, { every: "1m" }, () => gate.promise);
  await r.engine.start();
  await r.clock.advance(60_000);
  assert.equal(r.of("RUN_STARTED").length, JOBS);
  // Crash with every run in flight; the new life's runs never end either.
  r.clock.jump(5_000);
  const e2 = r.restart();
  const forever = deferred();
  for (let i = 0; i < JOBS; i++) e2.define(`job-${i}`, { every: "1m" }, () => forever.promise);
  await e2.start();
  const recovery = () => r.of("RUN_STARTED").filter((e) => e.trigger === "recovery");
  await r.clock.advance(0);
  assert.equal(r.of("RUN_ABANDONED").length, JOBS);
  // The first slice fills the engine up to SPREAD_IN_FLIGHT runs in flight…
  assert.equal(recovery().length, SPREAD_IN_FLIGHT);
  // …then, with that many in flight, each slice starts the minimum.
  await r.clock.advance(SPREAD_SPACING_MS);
  assert.equal(recovery().length, SPREAD_IN_FLIGHT + SPREAD_MIN_SLICE);
  await r.clock.advance(SPREAD_SPACING_MS * Math.ceil(JOBS / SPREAD_MIN_SLICE));
  const all = recovery();
  assert.equal(all.length, JOBS);
  assert.equal(new Set(all.map((e) => e.job)).size, JOBS, "each abandoned run re-run once");
  await e2.shutdown({ timeout: "0s" });
});

Deno.test("overdue jobs at start catch up through the spreader, once each", async () => {
  const r = rig();
  for (let i = 0; i < JOBS; i++) r.engine.define(`job-${i}`, { every: "1s" }, () => {});
  await r.engine.start();
  await r.clock.advance(1_000);
  await r.engine.shutdown();
  // Down for a minute: every job's next occurrence is overdue at the restart.
  r.clock.jump(60_000);
  const e2 = r.restart();
  const calls = new Map<string, number>();
  for (let i = 0; i < JOBS; i++) {
    const name = `job-${i}`;
    e2.define(name, { every: "1s" }, () => void calls.set(name, (calls.get(name) ?? 0) + 1));
  }
  const before = r.of("RUN_STARTED").length;
  await e2.start();
  await r.clock.advance(0);
  const catchups = () => r.of("RUN_STARTED").slice(before).filter((e) => e.trigger === "catchup");
  assert.ok(catchups().length <= SPREAD_IN_FLIGHT, `first slice: ${catchups().length}`);
  await r.clock.advance(500);
  assert.equal(catchups().length, JOBS, "every overdue job caught up within half a second");
  assert.equal(new Set(catchups().map((e) => e.job)).size, JOBS);
  await e2.shutdown();
});
