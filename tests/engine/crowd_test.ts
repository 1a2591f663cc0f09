// A crowded instant (hundreds of jobs due together) is recorded ahead earlier than the lead, in
// slices, so that recording it does not make the instant itself late; each occurrence still
// starts on the dot and exactly once.
import assert from "node:assert/strict";
import {
  CROWD_LEAD_PER_ENTRY_MS,
  CROWD_MIN,
  CROWD_SLICE,
  Crowds,
} from "../../src/engine/crowds.ts";
import { rig, T0 } from "./_helpers.ts";

const iso = (ms: number) => new Date(ms).toISOString();

Deno.test("crowds: a time is crowded from CROWD_MIN entries, its lead follows its count", () => {
  const c = new Crowds();
  for (let i = 0; i < CROWD_MIN - 1; i++) c.add(5_000);
  c.add(9_000);
  assert.equal(c.wakeAt(), Infinity);
  assert.equal(c.horizon(10_000), -Infinity);
  c.add(5_000);
  assert.equal(c.leadOf(5_000), CROWD_MIN * CROWD_LEAD_PER_ENTRY_MS);
  assert.equal(c.wakeAt(), 5_000 - CROWD_MIN * CROWD_LEAD_PER_ENTRY_MS);
  assert.equal(c.horizon(4_000), -Infinity);
  assert.equal(c.horizon(4_995), 5_000);
  c.remove(5_000);
  assert.equal(c.wakeAt(), Infinity);
  assert.equal(c.leadOf(5_000), 0);
  for (let i = 0; i < 100_000; i++) c.add(7_000);
  assert.equal(c.wakeAt(), 6_000); // capped at CROWD_LEAD_MAX_MS
  c.clear();
  assert.equal(c.wakeAt(), Infinity);
});

Deno.test("crowds: 1,000 jobs due together are recorded early, in slices; all start on the dot", async () => {
  const lead = 50;
  const r = rig(T0, { leadMs: lead });
  const jobs = 1_000;
  const calledAt: number[] = [];
  for (let i = 0; i < jobs; i++) {
    r.engine.define(`j${i}`, { every: "1s" }, () => {
      calledAt.push(r.clock.now());
    });
  }
  await r.engine.start();
  const due = T0 + 1000;
  const early = due - lead - jobs * CROWD_LEAD_PER_ENTRY_MS; // 40 ms before the usual lead
  await r.clock.advanceTo(early - 1);
  assert.equal(r.of("RUN_DUE").length, 0);
  await r.clock.advanceTo(early);
  // One slice at the crowd's wake-up; the rest follow as their (smaller) lead comes.
  assert.equal(r.of("RUN_DUE").length, CROWD_SLICE);
  await r.clock.advanceTo(due - lead - 1);
  assert.equal(r.of("RUN_DUE").length, jobs);
  assert.ok(r.of("RUN_DUE").every((e) => e.ahead && e.scheduledAt === iso(due)));
  assert.equal(calledAt.length, 0);
  await r.clock.advanceTo(due);
  assert.equal(calledAt.length, jobs);
  assert.ok(calledAt.every((t) => t === due));
  const started = r.of("RUN_STARTED");
  assert.equal(started.length, jobs);
  assert.ok(started.every((e) => e.time === iso(due) && e.scheduledAt === iso(due)));
  assert.equal(new Set(started.map((e) => e.job)).size, jobs);
  // The next instant is crowded again: recorded early again, once per job.
  await r.clock.advanceTo(due + 1000);
  assert.equal(r.of("RUN_STARTED").length, 2 * jobs);
  assert.equal(r.of("RUN_DUE").length, 2 * jobs);
  await r.engine.shutdown();
});

Deno.test("crowds: a job paused while its crowd is recorded early does not run", async () => {
  const r = rig(T0, { leadMs: 50 });
  let calls = 0;
  for (let i = 0; i < 600; i++) r.engine.define(`j${i}`, { every: "1s" }, () => void calls++);
  await r.engine.start();
  await r.clock.advanceTo(T0 + 1000 - 50 - 600 * CROWD_LEAD_PER_ENTRY_MS); // the first slice
  const recorded = new Set(r.of("RUN_DUE").map((e) => e.job));
  const early = [...recorded][0];
  const late = [...Array(600).keys()].map((i) => `j${i}`).find((n) => !recorded.has(n))!;
  r.engine.pause(early);
  r.engine.pause(late);
  await r.clock.advanceTo(T0 + 1000);
  assert.equal(calls, 598);
  const ran = new Set(r.of("RUN_STARTED").map((e) => e.job));
  assert.ok(!ran.has(early) && !ran.has(late));
  await r.engine.shutdown();
});
