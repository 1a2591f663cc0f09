// Occurrences recorded ahead (RUN_DUE with `ahead`): the run starts on the dot without waiting
// for the disk, and a crash between the record and the run's own RUN_STARTED re-runs it once.
import assert from "node:assert/strict";
import { apply, emptyState } from "../../src/store/reducer.ts";
import type { KronEvent } from "../../src/events/mod.ts";
import { FakeClock, systemClock } from "../../src/engine/clock.ts";
import { Engine } from "../../src/engine/engine.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import type { Store } from "../../src/store/types.ts";
import { buildDefinition } from "../../src/engine/definition.ts";
import { rig, T0 } from "./_helpers.ts";

const LEAD = { leadMs: 50 };
const iso = (ms: number) => new Date(ms).toISOString();

Deno.test("ahead: RUN_DUE is recorded before the due time, the run starts on it", async () => {
  const r = rig(T0, LEAD);
  const seen: { at: number; types: string[] }[] = [];
  r.engine.define("tick", { every: "1s" }, () => {
    seen.push({ at: r.clock.now(), types: r.events.map((e) => e.type) });
  });
  await r.engine.start();
  await r.clock.advance(950); // T0 + 1s − lead
  const due = r.of("RUN_DUE");
  assert.equal(due.length, 1);
  assert.deepEqual(
    { ahead: due[0].ahead, scheduledAt: due[0].scheduledAt, time: due[0].time },
    { ahead: true, scheduledAt: iso(T0 + 1000), time: iso(T0 + 950) },
  );
  assert.equal(seen.length, 0);
  // A status read in the lead window: the job is idle and its next run is the due time.
  assert.equal(r.engine.status("tick").state, "idle");
  assert.equal(r.engine.status("tick").nextRunAt?.getTime(), T0 + 1000);
  await r.clock.advance(50);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].at, T0 + 1000);
  // Called before its own RUN_STARTED was recorded: the durable RUN_DUE covers it.
  assert.ok(!seen[0].types.includes("RUN_STARTED"));
  const started = r.of("RUN_STARTED");
  assert.equal(started.length, 1);
  assert.equal(started[0].scheduledAt, iso(T0 + 1000));
  assert.equal(started[0].time, iso(T0 + 1000));
  assert.equal(started[0].idempotencyKey, `tick:${iso(T0 + 1000)}`);
  const types = r.events.filter((e) => "job" in e && e.job === "tick").map((e) => e.type);
  assert.deepEqual(types, ["JOB_DEFINED", "RUN_DUE", "RUN_STARTED", "RUN_SUCCEEDED"]);
  await r.clock.advance(2000);
  assert.equal(seen.length, 3);
  assert.deepEqual(seen.map((s) => s.at), [T0 + 1000, T0 + 2000, T0 + 3000]);
  assert.equal(r.of("RUN_DUE").length, 3);
  await r.clock.advance(950);
  assert.equal(r.of("RUN_DUE").length, 4); // the next one, ahead of T0 + 4s
  await r.engine.shutdown();
});

Deno.test("ahead: a run still in flight at the due time is skipped (overlap judged on time)", async () => {
  const r = rig(T0, LEAD);
  let release!: () => void;
  let calls = 0;
  r.engine.define("slow", { every: "1s" }, () => {
    calls++;
    return new Promise<void>((res) => release = res);
  });
  await r.engine.start();
  await r.clock.advance(1000);
  assert.equal(calls, 1);
  await r.clock.advance(1000);
  assert.equal(calls, 1);
  const skipped = r.of("RUN_SKIPPED");
  assert.equal(skipped.length, 1);
  assert.equal(skipped[0].reason, "overlap");
  assert.equal(skipped[0].scheduledAt, iso(T0 + 2000));
  assert.equal(r.engine.state.jobs.get("slow")?.pendingDue, null);
  release();
  await r.clock.advance(1000);
  assert.equal(calls, 2);
  release();
  await r.engine.shutdown();
});

Deno.test("ahead: a trigger in the lead window is not refused, and the occurrence still runs", async () => {
  const r = rig(T0, LEAD);
  const runs: string[] = [];
  r.engine.define("job", { every: "1s" }, (ctx) => {
    runs.push(ctx.idempotencyKey);
  });
  await r.engine.start();
  await r.clock.advance(960);
  await r.engine.trigger("job");
  await r.clock.advance(40);
  assert.equal(runs.length, 2);
  assert.match(runs[0], /^job:manual:/);
  assert.equal(runs[1], `job:${iso(T0 + 1000)}`);
  await r.engine.shutdown();
});

Deno.test("ahead: pausing in the lead window voids the record; nothing runs, nothing re-runs", async () => {
  const r = rig(T0, LEAD);
  let calls = 0;
  r.engine.define("job", { every: "1s" }, () => {
    calls++;
  });
  await r.engine.start();
  await r.clock.advance(960);
  assert.equal(r.engine.state.jobs.get("job")?.pendingDue?.ahead, true);
  r.engine.pause("job");
  assert.equal(r.engine.state.jobs.get("job")?.pendingDue, null);
  await r.clock.advance(100);
  assert.equal(calls, 0);
  // A crash now and a restart later: the voided record starts nothing.
  r.clock.jump(500);
  const e2 = r.restart();
  e2.define("job", { every: "1s" }, () => {
    calls++;
  });
  await e2.start();
  await r.clock.advance(10);
  assert.equal(calls, 0);
  assert.equal(e2.status("job").state, "paused");
  await e2.shutdown();
});

Deno.test("ahead: a crash after the record re-runs the occurrence once (within misfire grace)", async () => {
  const r = rig(T0, LEAD);
  const keys: string[] = [];
  r.engine.define("job", { every: "1m" }, (ctx) => {
    keys.push(`${ctx.idempotencyKey} ${r.engine === e1 ? "first" : "second"}`);
  });
  const e1 = r.engine;
  await e1.start();
  await r.clock.advance(60_000 - 50); // recorded ahead; the process dies before the due time
  assert.equal(r.of("RUN_DUE").length, 1);
  assert.equal(keys.length, 0);
  r.clock.jump(5_000); // restart 5 s after the due time (grace is 1 h)
  const e2 = r.restart();
  e2.define("job", { every: "1m" }, (ctx) => {
    keys.push(`${ctx.idempotencyKey} second`);
  });
  await e2.start();
  await r.clock.advance(1);
  const recovery = r.of("RUN_STARTED").filter((e) => e.trigger === "recovery");
  assert.equal(recovery.length, 1);
  assert.equal(recovery[0].scheduledAt, iso(T0 + 60_000));
  assert.deepEqual(keys, [`job:${iso(T0 + 60_000)} second`]);
  // Once: the next occurrence is the following minute, and it runs normally.
  await r.clock.advance(60_000);
  assert.equal(keys.length, 2);
  assert.equal(keys[1], `job:${iso(T0 + 120_000)} second`);
  await e2.shutdown();
});

Deno.test("ahead: no re-run after a clean stop, nor for a record past its misfire grace", async () => {
  // Clean stop in the lead window: RUNTIME_STOPPED voids the record.
  const r = rig(T0, LEAD);
  let calls = 0;
  const define = () =>
    r.engine.define("job", { every: "1m", misfire: "skip" }, () => {
      calls++;
    });
  define();
  await r.engine.start();
  await r.clock.advance(60_000 - 20);
  await r.engine.shutdown();
  r.clock.jump(90_000); // past the following occurrence too: a misfire
  r.restart();
  define();
  await r.engine.start();
  await r.clock.advance(1);
  assert.equal(calls, 0, "misfire skip: the missed occurrences do not run");
  assert.equal(r.of("RUN_STARTED").length, 0);
  assert.equal(r.of("RUN_SKIPPED")[0]?.reason, "misfire");
  await r.engine.shutdown();

  // A crash, then a restart past the grace: the misfire rules decide, not the record.
  const q = rig(T0, LEAD);
  let qcalls = 0;
  q.engine.define("job", { every: "1h", misfire: "skip", misfireGrace: "1m" }, () => {
    qcalls++;
  });
  await q.engine.start();
  await q.clock.advance(3_600_000 - 10);
  assert.equal(q.of("RUN_DUE").length, 1);
  q.clock.jump(10 * 60_000);
  q.restart();
  q.engine.define("job", { every: "1h", misfire: "skip", misfireGrace: "1m" }, () => {
    qcalls++;
  });
  await q.engine.start();
  await q.clock.advance(1);
  assert.equal(qcalls, 0);
  const skipped = q.of("RUN_SKIPPED");
  assert.equal(skipped.length, 1);
  assert.equal(skipped[0].reason, "misfire");
  await q.engine.shutdown();
});

Deno.test("ahead: without a lead (memory store) nothing is recorded ahead", async () => {
  const r = rig(T0);
  let calls = 0;
  r.engine.define("job", { every: "1s" }, () => {
    calls++;
  });
  await r.engine.start();
  await r.clock.advance(3000);
  assert.equal(calls, 3);
  assert.equal(r.of("RUN_DUE").length, 0);
  await r.engine.shutdown();
  assert.throws(() => rig(T0, { leadMs: -1 }), /leadMs -1 must be a number ≥ 0/);
});

Deno.test("reducer: a RUN_DUE ahead decides nothing and is voided by what passes it", () => {
  const t = (ms: number) => iso(T0 + ms);
  const { def: record, defHash } = buildDefinition("j", { every: "1s" }, "function", {});
  const def: KronEvent = {
    type: "JOB_DEFINED",
    time: t(0),
    job: "j",
    def: record,
    defHash,
    anchorAt: t(0),
    paused: false,
  };
  const ahead = (at: number) =>
    ({
      type: "RUN_DUE",
      time: t(at - 50),
      job: "j",
      scheduledAt: t(at),
      jitterMs: 0,
      ahead: true,
    }) as KronEvent;
  let s = apply(emptyState(), def);
  s = apply(s, ahead(1000));
  const j = s.jobs.get("j")!;
  assert.deepEqual(j.pendingDue, { scheduledAt: T0 + 1000, startAt: T0 + 1000, ahead: true });
  assert.equal(j.cursorAt, null, "the cursor moves only when the occurrence starts or is skipped");
  apply(s, { type: "JOB_PAUSED", time: t(960), job: "j", until: null } as KronEvent);
  assert.equal(j.pendingDue, null);
  apply(s, { type: "JOB_RESUMED", time: t(970), job: "j" } as KronEvent);
  apply(s, ahead(2000));
  apply(s, { type: "RUNTIME_STOPPED", time: t(1980) } as KronEvent);
  assert.equal(j.pendingDue, null);
  apply(s, ahead(3000));
  apply(s, {
    type: "RUN_SKIPPED",
    time: t(5000),
    job: "j",
    scheduledAt: t(3000),
    reason: "misfire",
    until: t(5000),
  } as KronEvent);
  assert.equal(j.pendingDue, null);
  assert.equal(j.cursorAt, T0 + 5000);
  // A jitter RUN_DUE (no `ahead`) still moves the cursor, as before.
  apply(
    s,
    { type: "RUN_DUE", time: t(6000), job: "j", scheduledAt: t(6000), jitterMs: 7 } as KronEvent,
  );
  assert.deepEqual(j.pendingDue, { scheduledAt: T0 + 6000, startAt: T0 + 6007 });
  assert.equal(j.cursorAt, T0 + 6000);
});

Deno.test("systemClock.waitUntil returns at the given time, never before", () => {
  for (let i = 0; i < 20; i++) {
    const at = Date.now() + (i % 4);
    systemClock.waitUntil!(at);
    assert.ok(Date.now() >= at);
  }
});

Deno.test("systemClock.waitUntil does not hang when the wall clock steps back meanwhile", () => {
  const realNow = Date.now;
  let reads = 0;
  // The first read sees the real time, later ones a clock stepped back by an hour.
  Date.now = () => realNow() - (reads++ === 0 ? 0 : 3_600_000);
  const t0 = performance.now();
  try {
    systemClock.waitUntil!(realNow() + 2);
  } finally {
    Date.now = realNow;
  }
  assert.ok(reads > 1, "the clock was read again while waiting");
  assert.ok(performance.now() - t0 < 1000, "bounded by the gap seen at the start (+1 ms)");
});

Deno.test("ahead: a record not yet durable at the due time: the run waits for its RUN_STARTED", async () => {
  // A store whose commits wait for the test: the RUN_DUE is still in flight when it is due.
  const inner = new MemoryStore();
  let open = true;
  let release!: () => void;
  let gate = Promise.resolve();
  const store: Store = {
    durable: true,
    open: () => inner.open(),
    append: (e) => {
      const done = inner.append(e);
      return open ? done : gate.then(() => done);
    },
    history: (j, q) => inner.history(j, q),
    findRun: (id) => inner.findRun(id),
    compact: (s) => inner.compact(s),
    close: () => inner.close(),
  };
  const clock = new FakeClock(T0);
  const engine = new Engine({ store, clock });
  const calls: number[] = [];
  engine.define("job", { every: "1s" }, () => {
    calls.push(clock.now());
  });
  await engine.start();
  open = false;
  gate = new Promise((r) => release = r);
  await clock.advance(1000);
  assert.equal(calls.length, 0, "no side effect before a durable record of the occurrence");
  open = true;
  release();
  await clock.advance(0);
  assert.deepEqual(calls, [T0 + 1000]);
  await engine.shutdown();
});

Deno.test("ahead: an instant whose records are durable starts quick while a later one's are not", async () => {
  // Interval jobs fall due in groups a few ms apart: the record of the next group is often in
  // flight when one is due. Only this group's own records decide whether it starts quick.
  const inner = new MemoryStore();
  let gate: Promise<void> | null = null;
  const store: Store = {
    durable: true,
    open: () => inner.open(),
    append: (e) => {
      const done = inner.append(e);
      return gate === null ? done : gate.then(() => done);
    },
    history: (j, q) => inner.history(j, q),
    findRun: (id) => inner.findRun(id),
    compact: (s) => inner.compact(s),
    close: () => inner.close(),
  };
  const clock = new FakeClock(T0);
  const engine = new Engine({ store, clock, leadMs: 50 });
  const events: KronEvent[] = [];
  engine.onEvent((e) => events.push(e));
  const calls: [string, number, boolean][] = [];
  const call = (job: string) => () => {
    const started = events.some((e) => e.type === "RUN_STARTED" && e.job === job);
    calls.push([job, clock.now(), started]);
  };
  engine.define("first", { at: iso(T0 + 1000) }, call("first"));
  engine.define("second", { at: iso(T0 + 1030) }, call("second"));
  await engine.start();
  await clock.advance(950); // first's RUN_DUE recorded ahead, and durable
  let release!: () => void;
  gate = new Promise((r) => release = r);
  await clock.advance(30); // second's RUN_DUE recorded ahead: in flight until released
  await clock.advance(20);
  // On the dot, before its own RUN_STARTED is recorded: it started quick.
  assert.deepEqual(calls, [["first", T0 + 1000, false]]);
  gate = null;
  release();
  await clock.advance(30);
  assert.deepEqual(calls.map((c) => c.slice(0, 2)), [["first", T0 + 1000], ["second", T0 + 1030]]);
  await engine.shutdown();
});
