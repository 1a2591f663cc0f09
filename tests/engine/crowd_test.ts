// A crowded instant (hundreds of jobs due together, or within one window of 50 ms) is recorded
// ahead earlier than the lead, in slices, so that recording it does not make the instant itself
// late; each occurrence still starts on the dot and exactly once.
import assert from "node:assert/strict";
import {
  CROWD_LEAD_PER_ENTRY_MS,
  CROWD_MIN,
  CROWD_SLICE,
  CROWD_WINDOW_MS,
  Crowds,
} from "../../src/engine/crowds.ts";
import { rig, T0 } from "./_helpers.ts";
import { FakeClock } from "../../src/engine/clock.ts";
import { Engine } from "../../src/engine/engine.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";

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
  // The whole window of 5,000 may be recorded: 5,000 to 5,049.
  assert.equal(c.horizon(4_995), 5_000 + CROWD_WINDOW_MS - 1);
  // Crowded until its last entry leaves (its last slice is recorded early too).
  c.remove(5_000);
  assert.equal(c.leadOf(5_000), (CROWD_MIN - 1) * CROWD_LEAD_PER_ENTRY_MS);
  for (let i = 0; i < CROWD_MIN - 1; i++) c.remove(5_000);
  assert.equal(c.wakeAt(), Infinity);
  assert.equal(c.leadOf(5_000), 0);
  for (let i = 0; i < 100_000; i++) c.add(7_000);
  assert.equal(c.wakeAt(), 6_000); // capped at CROWD_LEAD_MAX_MS
  c.clear();
  assert.equal(c.wakeAt(), Infinity);
});

Deno.test("crowds: entries a few ms apart count together, per window of CROWD_WINDOW_MS", () => {
  const c = new Crowds();
  // 40 groups of 10 a ms apart: no time has CROWD_MIN, the window of 10,000 has 400.
  for (let i = 0; i < 400; i++) c.add(10_000 + (i % 40));
  assert.equal(c.leadOf(10_039), 400 * CROWD_LEAD_PER_ENTRY_MS);
  assert.equal(c.wakeAt(), 10_000 - 400 * CROWD_LEAD_PER_ENTRY_MS);
  assert.equal(c.horizon(10_000 - 400 * CROWD_LEAD_PER_ENTRY_MS), 10_049);
  // The next window is counted on its own.
  for (let i = 0; i < CROWD_MIN - 1; i++) c.add(10_050 + (i % 40));
  assert.equal(c.leadOf(10_050), 0);
  for (let i = 0; i < 400; i++) c.remove(10_000 + (i % 40));
  assert.equal(c.wakeAt(), Infinity);
});

Deno.test("crowds: 1,000 jobs due over 40 ms, 25 a ms, are recorded early as one crowd; all start on the dot", async () => {
  const lead = 50;
  const r = rig(T0, { leadMs: lead });
  const jobs = 1_000;
  const calls: { job: string; at: number }[] = [];
  const dueOf = (i: number) => T0 + 1000 + (i % 40);
  for (let i = 0; i < jobs; i++) {
    r.engine.define(`j${i}`, { at: iso(dueOf(i)) }, () => {
      calls.push({ job: `j${i}`, at: r.clock.now() });
    });
  }
  await r.engine.start();
  // Their records are due T0+950…989 at the plain lead, one window: recorded 40 ms before it.
  const early = T0 + 1000 - lead - jobs * CROWD_LEAD_PER_ENTRY_MS;
  await r.clock.advanceTo(early - 1);
  assert.equal(r.of("RUN_DUE").length, 0);
  await r.clock.advanceTo(early);
  assert.equal(r.of("RUN_DUE").length, CROWD_SLICE);
  await r.clock.advanceTo(T0 + 1000 - lead - 1);
  assert.equal(r.of("RUN_DUE").length, jobs);
  assert.ok(r.of("RUN_DUE").every((e) => e.ahead));
  await r.clock.advanceTo(T0 + 1040);
  assert.equal(calls.length, jobs);
  assert.ok(calls.every((c) => c.at === dueOf(Number(c.job.slice(1)))));
  assert.equal(r.of("RUN_STARTED").length, jobs);
  await r.engine.shutdown();
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

Deno.test("crowds: a crowd's last slice, under CROWD_MIN, is recorded early too", async () => {
  const r = rig(T0, { leadMs: 50 });
  const jobs = CROWD_SLICE + 88;
  for (let i = 0; i < jobs; i++) r.engine.define(`j${i}`, { every: "1s" }, () => {});
  await r.engine.start();
  const window = T0 + 1000 - 50; // the records' plain time, a window's start
  await r.clock.advanceTo(window - jobs * CROWD_LEAD_PER_ENTRY_MS);
  assert.equal(r.of("RUN_DUE").length, CROWD_SLICE);
  // The 88 left are no crowd by themselves: still recorded before the window, not at it.
  await r.clock.advanceTo(window - 1);
  assert.equal(r.of("RUN_DUE").length, jobs);
  await r.clock.advanceTo(T0 + 1000);
  assert.equal(r.of("RUN_STARTED").length, jobs);
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

/** A fake clock whose time the test moves on by hand between timers (`drift`). */
class BusyClock extends FakeClock {
  drift = 0;
  override now(): number {
    return super.now() + this.drift;
  }
}

Deno.test("crowds: an instant due while a crowd is being booked starts on time, not after it", async () => {
  const clock = new BusyClock(T0);
  const engine = new Engine({ store: new MemoryStore(), clock, leadMs: 50, random: () => 0.5 });
  let booked = 0;
  const calls: { job: string; at: number; booked: number }[] = [];
  const crowd = 400;
  for (let i = 0; i < crowd; i++) {
    engine.define(`c${i}`, { at: iso(T0 + 1000) }, () => {});
  }
  engine.define("soon", { at: iso(T0 + 1005) }, () => {
    calls.push({ job: "soon", at: clock.now(), booked });
  });
  await engine.start();
  await clock.advanceTo(T0 + 990); // everything recorded ahead
  // From the crowd's start on, each RUN_STARTED or RUN_SUCCEEDED takes 0.1 ms of the thread.
  const stop = engine.onFold((e) => {
    if (e?.type === "RUN_STARTED" || e?.type === "RUN_SUCCEEDED") {
      booked++;
      clock.drift += 0.1;
    }
  });
  await clock.advanceTo(T0 + 1000);
  stop();
  // Booking the crowd's 800 events took 80 ms; "soon" was due 5 ms in and was called then
  // (within one look: QUICK_CHECK_EVERY runs), not after the crowd's bookkeeping.
  assert.equal(calls.length, 1);
  assert.ok(calls[0].booked < 2 * crowd, `called after ${calls[0].booked} events were booked`);
  assert.ok(calls[0].at - (T0 + 1005) < 10, `called ${calls[0].at - (T0 + 1005)} ms late`);
  const soon = (await engine.history("soon", { limit: 1 }))[0];
  assert.equal(soon.startedAt?.getTime(), Math.floor(calls[0].at));
  await engine.shutdown();
});
