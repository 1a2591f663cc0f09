import assert from "node:assert/strict";
import { KronError, TriggerRefusedError } from "../../src/errors.ts";
import type { RunContext } from "../../src/engine/types.ts";
import { deferred, rig, T0, untilAborted } from "./_helpers.ts";

const noop = () => Promise.resolve();
const iso = (ms: number) => new Date(ms).toISOString();

Deno.test("every: runs once per interval, anchored, from one timer", async () => {
  const r = rig();
  const seen: RunContext[] = [];
  r.engine.define("tick", { every: "1s" }, (ctx) => {
    seen.push(ctx);
    return Promise.resolve();
  });
  await r.engine.start();
  assert.equal(r.clock.pendingTimers, 1);
  await r.clock.advance(3000);
  assert.deepEqual(seen.map((c) => c.scheduledAt.getTime()), [T0 + 1000, T0 + 2000, T0 + 3000]);
  assert.equal(seen[0].idempotencyKey, `tick:${iso(T0 + 1000)}`);
  assert.equal(seen[0].attempt, 1);
  assert.equal(r.clock.pendingTimers, 1);
  assert.equal(r.of("RUN_SUCCEEDED").length, 3);
  assert.equal(r.engine.status("tick").nextRunAt?.getTime(), T0 + 4000);
  await r.engine.shutdown();
  assert.equal(r.clock.pendingTimers, 0);
});

Deno.test("every: a slow run does not make the schedule drift", async () => {
  const r = rig();
  const starts: number[] = [];
  r.engine.define("slow", { every: "10s", overlap: "allow" }, async () => {
    starts.push(r.clock.now());
    await new Promise((res) => r.clock.setTimeout(() => res(undefined), 7_000));
  });
  await r.engine.start();
  await r.clock.advance(40_000);
  assert.deepEqual(starts, [T0 + 10_000, T0 + 20_000, T0 + 30_000, T0 + 40_000]);
  await r.engine.shutdown({ timeout: 0 });
});

Deno.test("cron: fires at the zone's wall time", async () => {
  const r = rig(Date.parse("2026-03-02T06:00:00Z"));
  const seen: number[] = [];
  r.engine.define("digest", { cron: "0 8 * * *", timezone: "Europe/Rome" }, (ctx) => {
    seen.push(ctx.scheduledAt.getTime());
  });
  await r.engine.start();
  assert.equal(r.engine.status("digest").nextRunAt?.toISOString(), "2026-03-02T07:00:00.000Z");
  await r.clock.advance(26 * 3600_000);
  assert.deepEqual(seen.map(iso), ["2026-03-02T07:00:00.000Z", "2026-03-03T07:00:00.000Z"]);
  await r.engine.shutdown();
});

Deno.test("timeout: aborts the signal, records RUN_TIMED_OUT, counts as a failure", async () => {
  const r = rig();
  let reason: unknown;
  r.engine.define("hang", { every: "1m", timeout: "5s" }, async (ctx) => {
    try {
      await untilAborted(ctx.signal);
    } catch (e) {
      reason = e;
    }
  });
  await r.engine.start();
  await r.clock.advance(60_000 + 5_000);
  const timedOut = r.of("RUN_TIMED_OUT");
  assert.equal(timedOut.length, 1);
  assert.equal(timedOut[0].error, "timed out after 5s");
  assert.equal(timedOut[0].durationMs, 5000);
  assert.ok(reason instanceof DOMException && reason.name === "TimeoutError");
  const st = r.engine.status("hang");
  assert.equal(st.state, "failing");
  assert.equal(st.lastRun?.outcome, "timed_out");
  assert.equal(st.consecutiveFailures, 1);
  await r.engine.shutdown();
});

Deno.test("retries: exponential backoff with jitter, same key, then success resets failures", async () => {
  const r = rig();
  let calls = 0;
  const keys: string[] = [];
  r.engine.define("flaky", { every: "1h", retries: 3, retryDelay: "10s" }, (ctx) => {
    keys.push(ctx.idempotencyKey);
    if (++calls < 3) throw new Error(`boom ${calls}\nstack line`);
  });
  await r.engine.start();
  await r.clock.advance(3600_000);
  assert.equal(calls, 1);
  const retry1 = r.of("RUN_RETRYING")[0];
  // random() = 0.5 → delay = 10s/2 + 0.5·10s/2 = 7.5s
  assert.equal(Date.parse(retry1.retryAt) - T0 - 3600_000, 7_500);
  assert.equal(r.engine.status("flaky").state, "failing");
  await r.clock.advance(7_500);
  assert.equal(calls, 2);
  // second retry: 20s → 15s
  await r.clock.advance(14_999);
  assert.equal(calls, 2);
  await r.clock.advance(1);
  assert.equal(calls, 3);
  assert.equal(new Set(keys).size, 1);
  const failed = r.of("RUN_FAILED");
  assert.deepEqual(failed.map((e) => [e.attempt, e.error]), [[1, "boom 1"], [2, "boom 2"]]);
  const ok = r.of("RUN_SUCCEEDED");
  assert.equal(ok.length, 1);
  assert.equal(ok[0].attempt, 3);
  const st = r.engine.status("flaky");
  assert.equal(st.state, "idle");
  assert.equal(st.consecutiveFailures, 0);
  const history = await r.engine.history("flaky");
  assert.deepEqual(history.map((h) => [h.attempt, h.outcome]), [[3, "succeeded"], [2, "failed"], [
    1,
    "failed",
  ]]);
  await r.engine.shutdown();
});

Deno.test("retries: exhausted retries make the occurrence dead", async () => {
  const r = rig();
  r.engine.define("bad", { every: "1h", retries: 1, retryDelay: "1s" }, () => {
    throw new Error("nope");
  });
  await r.engine.start();
  await r.clock.advance(3600_000 + 1000);
  assert.equal(r.of("RUN_DEAD").length, 1);
  const st = r.engine.status("bad");
  assert.equal(st.lastRun?.outcome, "dead");
  assert.equal(st.consecutiveFailures, 1);
  assert.equal(st.state, "failing");
  await r.engine.shutdown();
});

Deno.test("overlap skip: a due occurrence is skipped while a run (or its retry) holds the slot", async () => {
  const r = rig();
  const gate = deferred();
  let calls = 0;
  r.engine.define("long", { every: "1s" }, () => {
    calls++;
    return gate.promise;
  });
  await r.engine.start();
  await r.clock.advance(3000);
  assert.equal(calls, 1);
  const skipped = r.of("RUN_SKIPPED");
  assert.deepEqual(skipped.map((e) => [e.reason, e.scheduledAt]), [
    ["overlap", iso(T0 + 2000)],
    ["overlap", iso(T0 + 3000)],
  ]);
  assert.equal(r.engine.status("long").state, "running");
  await assert.rejects(() => r.engine.trigger("long"), TriggerRefusedError);
  gate.resolve();
  await r.clock.advance(1000);
  assert.equal(calls, 2);
  await r.engine.shutdown({ timeout: 0 });
});

Deno.test("overlap allow: runs concurrently; replace: cancels the previous run", async () => {
  const r = rig();
  let allowRuns = 0;
  const cancelled: unknown[] = [];
  r.engine.define("allow", { every: "1s", overlap: "allow" }, () => {
    allowRuns++;
    return new Promise(() => {});
  });
  r.engine.define("replace", { every: "1s", overlap: "replace" }, async (ctx) => {
    try {
      await untilAborted(ctx.signal);
    } catch (e) {
      cancelled.push(e);
    }
  });
  await r.engine.start();
  await r.clock.advance(3000);
  assert.equal(allowRuns, 3);
  assert.equal(r.engine.status("allow").running, 3);
  assert.equal(r.engine.status("replace").running, 1);
  const c = r.of("RUN_CANCELLED").filter((e) => e.job === "replace");
  assert.deepEqual(c.map((e) => e.reason), ["replace", "replace"]);
  assert.equal(cancelled.length, 2);
  const hist = await r.engine.history("replace");
  assert.deepEqual(hist.map((h) => h.outcome), [null, "cancelled", "cancelled"]);
  await r.engine.shutdown({ timeout: 0 });
  assert.equal(r.of("RUN_CANCELLED").filter((e) => e.reason === "shutdown").length, 4);
});

Deno.test("onError stop: stops after maxFailures failed occurrences; resume re-enables", async () => {
  const r = rig();
  let calls = 0;
  let fail = true;
  r.engine.define("fragile", { every: "1m", onError: "stop", maxFailures: 2 }, () => {
    calls++;
    if (fail) throw new Error("down");
  });
  await r.engine.start();
  await r.clock.advance(5 * 60_000);
  assert.equal(calls, 2);
  const st = r.engine.status("fragile");
  assert.equal(st.state, "stopped");
  assert.equal(st.nextRunAt, null);
  fail = false;
  r.engine.resume("fragile");
  assert.equal(r.engine.status("fragile").state, "idle");
  await r.clock.advance(60_000);
  assert.equal(calls, 3);
  assert.equal(r.engine.status("fragile").consecutiveFailures, 0);
  await r.engine.shutdown();
});

Deno.test("onError backoff: failing occurrences push the next run out exponentially", async () => {
  const r = rig();
  const starts: number[] = [];
  let fail = true;
  r.engine.define("api", { every: "1m", onError: "backoff" }, () => {
    starts.push((r.clock.now() - T0) / 60_000);
    if (fail) throw new Error("503");
  });
  await r.engine.start();
  await r.clock.advance(12 * 60_000);
  // failures at 1; then +1 period → 3 (skips 2); +2 periods → 5? (finish 3 + 2m = 5); +4 → 9
  assert.deepEqual(starts, [1, 2, 4, 8]);
  fail = false;
  await r.clock.advance(8 * 60_000);
  // 16 succeeds (8 + 8 periods), then back to every minute
  assert.deepEqual(starts.slice(4), [16, 17, 18, 19, 20]);
  await r.engine.shutdown();
});

Deno.test("misfire run_once: one catch-up run for the latest missed slot after downtime", async () => {
  const r = rig();
  const seen: Array<[number, string]> = [];
  const job = (ctx: RunContext) => {
    seen.push([ctx.scheduledAt.getTime(), ctx.idempotencyKey]);
  };
  r.engine.define("hourly", { cron: "0 * * * *" }, job);
  await r.engine.start();
  await r.clock.advance(3600_000);
  await r.engine.shutdown();
  assert.equal(seen.length, 1);
  r.clock.jump(5 * 3600_000 + 20 * 60_000); // down for 5h20m
  const e2 = r.restart();
  e2.define("hourly", { cron: "0 * * * *" }, job);
  await e2.start();
  await r.clock.advance(0);
  assert.equal(seen.length, 2);
  assert.equal(iso(seen[1][0]), "2026-03-02T16:00:00.000Z");
  const runs = await e2.history("hourly");
  assert.equal(runs[0].trigger, "catchup");
  assert.equal(r.of("RUN_SKIPPED").at(-1)?.reason, "misfire");
  await r.clock.advance(40 * 60_000);
  assert.equal(seen.length, 3);
  assert.equal(iso(seen[2][0]), "2026-03-02T17:00:00.000Z");
  await e2.shutdown();
});

Deno.test("misfire skip, and run_once outside misfireGrace: nothing is caught up", async () => {
  for (const opts of [{ misfire: "skip" as const }, { misfireGrace: "10m" }]) {
    const r = rig();
    let calls = 0;
    const def = { cron: "0 * * * *", ...opts };
    r.engine.define("h", def, () => {
      calls++;
    });
    await r.engine.start();
    await r.engine.shutdown();
    r.clock.jump(3 * 3600_000 + 30 * 60_000);
    const e2 = r.restart();
    e2.define("h", def, () => {
      calls++;
    });
    await e2.start();
    await r.clock.advance(0);
    assert.equal(calls, 0, JSON.stringify(opts));
    assert.equal(e2.status("h").nextRunAt?.toISOString(), "2026-03-02T14:00:00.000Z");
    await e2.shutdown();
  }
});

Deno.test("clock jumps: 30 days forward → one catch-up then normal; backward → no duplicates", async () => {
  const r = rig();
  const seen: number[] = [];
  r.engine.define("s", { every: "1s" }, (ctx) => {
    seen.push(ctx.scheduledAt.getTime());
  });
  await r.engine.start();
  await r.clock.advance(2000);
  r.clock.jump(30 * 86_400_000);
  await r.clock.advance(1);
  assert.equal(seen.length, 3);
  assert.equal(seen[2], T0 + 30 * 86_400_000 + 2000);
  await r.clock.advance(2000);
  assert.equal(seen.length, 5);
  r.clock.jump(-10_000); // NTP steps the clock back 10 s
  await r.clock.advance(12_000);
  assert.equal(new Set(seen).size, seen.length);
  assert.ok(seen.every((t, i) => i === 0 || t > seen[i - 1]));
  await r.engine.shutdown();
});

Deno.test("pause and resume; a timed pause resumes by itself; paused occurrences are skipped", async () => {
  const r = rig();
  let calls = 0;
  r.engine.define("p", { every: "1m" }, () => {
    calls++;
  });
  await r.engine.start();
  r.engine.pause("p");
  assert.equal(r.engine.status("p").state, "paused");
  assert.equal(r.engine.status("p").nextRunAt, null);
  await r.clock.advance(5 * 60_000);
  assert.equal(calls, 0);
  r.engine.resume("p");
  await r.clock.advance(0);
  assert.equal(r.of("RUN_SKIPPED").at(-1)?.reason, "paused");
  await r.clock.advance(60_000);
  assert.equal(calls, 1);
  r.engine.pause("p", { for: "2m30s" });
  assert.equal(r.engine.status("p").pausedUntil?.getTime(), T0 + 6 * 60_000 + 150_000);
  await r.clock.advance(165_000); // 8m45s: resumed by itself at 8m30s
  assert.equal(r.engine.status("p").state, "idle");
  assert.equal(calls, 1);
  await r.clock.advance(15_000); // 9m: the 7m and 8m occurrences were skipped, 9m runs
  assert.equal(calls, 2);
  await r.engine.shutdown();
});

Deno.test("trigger: resolves to the run id once started, manual key, follows retries", async () => {
  const r = rig();
  const ctxs: RunContext[] = [];
  r.engine.define("m", { every: "1d", retries: 1, retryDelay: "2s" }, (ctx) => {
    ctxs.push(ctx);
    if (ctx.attempt === 1) throw new Error("first fails");
  });
  await r.engine.start();
  const id = await r.engine.trigger("m");
  assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  await r.clock.advance(0);
  assert.equal(ctxs[0].runId, id);
  assert.equal(ctxs[0].idempotencyKey, `m:manual:${id}`);
  assert.equal(ctxs[0].scheduledAt.getTime(), T0);
  await r.clock.advance(2000);
  assert.equal(ctxs.length, 2);
  assert.equal(ctxs[1].idempotencyKey, `m:manual:${id}`);
  const h = await r.engine.history("m");
  assert.deepEqual(h.map((x) => [x.trigger, x.outcome]), [["manual", "succeeded"], [
    "manual",
    "failed",
  ]]);
  // a manual run does not consume the schedule
  assert.equal(r.engine.status("m").nextRunAt?.getTime(), T0 + 86_400_000);
  await assert.rejects(() => r.engine.trigger("nope"), (e: KronError) => e.code === "unknown_job");
  await r.engine.shutdown();
});

Deno.test("one-shots: after and at run once, then done; the due time survives a restart", async () => {
  const r = rig();
  let calls = 0;
  const fn = () => {
    calls++;
  };
  r.engine.define("later", { after: "10m" }, fn);
  r.engine.define("at", { at: new Date(T0 + 30 * 60_000) }, fn);
  await r.engine.start();
  await r.clock.advance(5 * 60_000);
  await r.engine.shutdown();
  const e2 = r.restart();
  e2.define("later", { after: "10m" }, fn);
  e2.define("at", { at: new Date(T0 + 30 * 60_000) }, fn);
  await e2.start();
  assert.equal(e2.status("later").nextRunAt?.getTime(), T0 + 10 * 60_000);
  await r.clock.advance(5 * 60_000);
  assert.equal(calls, 1);
  assert.equal(e2.status("later").state, "done");
  assert.equal(e2.status("later").nextRunAt, null);
  await r.clock.advance(20 * 60_000);
  assert.equal(calls, 2);
  assert.equal(e2.status("at").state, "done");
  await e2.shutdown();
});

Deno.test("recovery: an unfinished run is abandoned and run again once; undefined jobs are orphaned", async () => {
  const r = rig();
  const gate = deferred();
  let calls = 0;
  r.engine.define("work", { every: "1m", retries: 0 }, () => {
    calls++;
    return gate.promise;
  });
  r.engine.define("gone", { every: "1h" }, noop);
  await r.engine.start();
  await r.clock.advance(60_000);
  assert.equal(calls, 1);
  const firstRun = r.of("RUN_STARTED")[0];
  // crash: no shutdown; a new engine opens the same store
  r.clock.jump(10_000);
  const e2 = r.restart();
  const keys: string[] = [];
  e2.define("work", { every: "1m" }, (ctx) => {
    keys.push(ctx.idempotencyKey);
  });
  await e2.start();
  await r.clock.advance(0);
  const abandoned = r.of("RUN_ABANDONED");
  assert.equal(abandoned.length, 1);
  assert.equal(abandoned[0].runId, firstRun.runId);
  assert.deepEqual(keys, [firstRun.idempotencyKey]);
  const h = await e2.history("work");
  assert.deepEqual(h.map((x) => [x.trigger, x.outcome]), [["recovery", "succeeded"], [
    "schedule",
    "abandoned",
  ]]);
  assert.equal(e2.status("work").consecutiveFailures, 0);
  assert.equal(e2.status("gone").state, "orphaned");
  assert.equal(e2.list().length, 2);
  await assert.rejects(() => e2.trigger("gone"), TriggerRefusedError);
  e2.forget("gone");
  assert.throws(() => e2.status("gone"), (e: KronError) => e.code === "unknown_job");
  await e2.shutdown();
});

Deno.test("jitter: the run waits a random delay; its identity stays the nominal time", async () => {
  const r = rig(T0, { random: () => 0.25 });
  const seen: Array<[number, number]> = [];
  r.engine.define("j", { every: "1m", jitter: "20s" }, (ctx) => {
    seen.push([ctx.scheduledAt.getTime(), r.clock.now()]);
  });
  await r.engine.start();
  await r.clock.advance(60_000);
  assert.equal(seen.length, 0);
  assert.equal(r.of("RUN_DUE")[0].jitterMs, 5000);
  await r.clock.advance(5000);
  assert.deepEqual(seen, [[T0 + 60_000, T0 + 65_000]]);
  assert.equal(r.of("RUN_STARTED")[0].jitterMs, 5000);
  await r.engine.shutdown();
});

Deno.test("invalid input throws a typed error and changes nothing", async () => {
  const r = rig();
  r.engine.define("a", { every: "1m" }, noop);
  const cases: Array<[() => unknown, string]> = [
    [() => r.engine.define("a", { every: "1m" }, noop), "duplicate_job"],
    [() => r.engine.define("../x", { every: "1m" }, noop), "invalid_name"],
    [() => r.engine.define("b", { cron: "61 * * * *" }, noop), "invalid_schedule"],
    [() => r.engine.define("b", { every: "1m", timeout: -5 }, noop), "invalid_option"],
    [() => r.engine.define("b", { every: "1m", cron: "* * * * *" }, noop), "invalid_schedule"],
    [() => r.engine.define("b", {}, noop), "invalid_schedule"],
    [() => r.engine.define("b", { every: "1m", retries: 1.5 }, noop), "invalid_option"],
    [
      () => r.engine.define("b", { every: "1m", overlap: "sometimes" as "skip" }, noop),
      "invalid_option",
    ],
    [() => r.engine.define("b", { every: "1m", colour: "red" } as never, noop), "invalid_option"],
    [() => r.engine.trigger("a"), "not_started"],
  ];
  for (const [fn, code] of cases) {
    assert.throws(fn, (e: KronError) => e instanceof KronError && e.code === code, code);
  }
  assert.deepEqual(r.engine.list().map((j) => j.name), ["a"]);
  await r.engine.start();
  assert.throws(() => r.engine.pause("a", { for: "2x" }), KronError);
  assert.equal(r.engine.status("a").state, "idle");
  await assert.rejects(() => r.engine.history("a", { limit: 0 }), KronError);
  await r.engine.shutdown();
});

Deno.test("shutdown waits for running jobs, then cancels what is left", async () => {
  const r = rig();
  const gate = deferred();
  let aborted = false;
  r.engine.define("quick", { every: "1m" }, () => gate.promise);
  r.engine.define("stuck", { every: "1m" }, async (ctx) => {
    await untilAborted(ctx.signal).catch(() => aborted = true);
  });
  await r.engine.start();
  await r.clock.advance(60_000);
  setTimeout(() => gate.resolve(), 10);
  await r.engine.shutdown({ timeout: "100ms" });
  assert.ok(aborted);
  const ends = r.events.filter((e) => e.type === "RUN_SUCCEEDED" || e.type === "RUN_CANCELLED")
    .map((e) => [e.type, (e as { job: string }).job]);
  assert.deepEqual(ends.sort(), [["RUN_CANCELLED", "stuck"], ["RUN_SUCCEEDED", "quick"]]);
  assert.equal(r.events.at(-1)?.type, "RUNTIME_STOPPED");
});

Deno.test("state precedence: orphaned > stopped > paused > running > failing > done > idle", async () => {
  const r = rig();
  const gate = deferred();
  r.engine.define("x", { every: "1m", onError: "stop", maxFailures: 1 }, () => {
    throw new Error("x");
  });
  r.engine.define("y", { every: "1m" }, () => gate.promise);
  await r.engine.start();
  await r.clock.advance(60_000);
  assert.equal(r.engine.status("x").state, "stopped");
  r.engine.pause("x");
  assert.equal(r.engine.status("x").state, "stopped");
  assert.equal(r.engine.status("y").state, "running");
  r.engine.pause("y");
  assert.equal(r.engine.status("y").state, "paused");
  gate.resolve();
  await r.engine.shutdown();
});

Deno.test("real time: an every 100ms job runs about ten times a second", async () => {
  const { Engine } = await import("../../src/engine/engine.ts");
  const { MemoryStore } = await import("../../src/store/memory_store.ts");
  const engine = new Engine({ store: new MemoryStore() });
  let runs = 0;
  engine.define("fast", { every: "100ms" }, () => {
    runs++;
  });
  await engine.start();
  await new Promise((r) => setTimeout(r, 1050));
  await engine.shutdown();
  assert.ok(runs >= 8 && runs <= 11, `ran ${runs} times`);
});
