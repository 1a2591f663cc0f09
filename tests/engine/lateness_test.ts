// Late and down on the fake clock: every rule of docs/design.md "Late and down", through the
// engine (its watcher records JOB_LATE / JOB_DOWN / JOB_RECOVERED; the fold and the views show
// them), and the offline assessment agrees with what the engine recorded.
import { assertEquals, assertMatch, assertRejects } from "../api/_assert.ts";
import { deferred, rig, T0 } from "./_helpers.ts";
import { emptyState } from "../../src/store/state.ts";
import { apply } from "../../src/store/reducer.ts";
import { offlineLateness, toJobStatus } from "../../src/engine/views.ts";
import type { KronEvent } from "../../src/events/mod.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
/** `every` jobs start at T0 (their first occurrence is the anchor). */
const AT0 = new Date(T0).toISOString();

/** The lateness events, as `type@minutes since T0`. */
function transitions(events: KronEvent[]): string[] {
  return events
    .filter((e) => e.type === "JOB_LATE" || e.type === "JOB_DOWN" || e.type === "JOB_RECOVERED")
    .map((e) => `${e.type}@${(Date.parse(e.time) - T0) / MIN}`);
}

Deno.test("a job that succeeds on time is never late", async () => {
  const r = rig();
  r.engine.define("ok", { every: "1h", startAt: AT0, grace: "10m" }, () => {});
  await r.engine.start();
  await r.clock.advance(5 * HOUR);
  assertEquals(r.of("RUN_SUCCEEDED").length, 6);
  assertEquals(transitions(r.events), []);
  assertEquals(r.engine.status("ok").state, "idle");
  await r.engine.shutdown();
});

Deno.test("a stuck run: late at due + grace (state late while running), down when the next occurrence (skipped by overlap) is late too, ok on success", async () => {
  const r = rig();
  const release = deferred();
  let calls = 0;
  r.engine.define("stuck", { every: "1h", startAt: AT0, grace: "10m" }, async () => {
    if (calls++ === 0) await release.promise;
  });
  await r.engine.start();
  await r.clock.advance(9 * MIN);
  assertEquals(r.engine.status("stuck").state, "running");
  await r.clock.advance(1 * MIN);
  assertEquals(r.engine.status("stuck").state, "late");
  assertEquals(r.engine.status("stuck").expectedAt?.getTime(), T0);
  assertEquals(transitions(r.events), ["JOB_LATE@10"]);
  await r.clock.advance(HOUR);
  assertEquals(r.of("RUN_SKIPPED").map((e) => e.reason), ["overlap"]);
  assertEquals(transitions(r.events), ["JOB_LATE@10", "JOB_DOWN@70"]);
  assertEquals(r.engine.status("stuck").state, "down");
  release.resolve();
  await r.clock.advance(0);
  assertEquals(transitions(r.events), ["JOB_LATE@10", "JOB_DOWN@70", "JOB_RECOVERED@70"]);
  assertEquals(r.of("JOB_RECOVERED")[0].reason, "success");
  assertEquals(r.engine.status("stuck").state, "idle");
  // Back to normal: the 11:00 occurrence was skipped and forgiven by the success; 12:00 runs.
  await r.clock.advance(2 * HOUR);
  assertEquals(transitions(r.events).length, 3);
  await r.engine.shutdown();
});

Deno.test("failing through its retries makes a job late; the success of a later occurrence brings it back", async () => {
  const r = rig();
  let fail = true;
  r.engine.define("flaky", {
    every: "1h",
    startAt: AT0,
    grace: "10m",
    retries: 2,
    retryDelay: "1m",
  }, () => {
    if (fail) throw new Error("boom");
  });
  await r.engine.start();
  await r.clock.advance(10 * MIN);
  assertEquals(r.of("RUN_DEAD").length, 1);
  assertEquals(transitions(r.events), ["JOB_LATE@10"]);
  // Failing and late: late wins the precedence.
  assertEquals(r.engine.status("flaky").state, "late");
  fail = false;
  await r.clock.advance(50 * MIN);
  assertEquals(transitions(r.events), ["JOB_LATE@10", "JOB_RECOVERED@60"]);
  await r.engine.shutdown();
});

Deno.test("down_after: late this long makes a job down before its next occurrence", async () => {
  const r = rig();
  r.engine.define("daily", { every: "1d", startAt: AT0, grace: "10m", downAfter: "30m" }, () => {
    throw new Error("no");
  });
  await r.engine.start();
  await r.clock.advance(HOUR);
  assertEquals(transitions(r.events), ["JOB_LATE@10", "JOB_DOWN@40"]);
  const late = r.of("JOB_LATE")[0];
  assertEquals(late.scheduledAt, new Date(T0).toISOString());
  assertEquals(late.lastSuccessAt, null);
  await r.engine.shutdown();
});

Deno.test("without a grace a job is never late or down", async () => {
  const r = rig();
  r.engine.define("plain", { every: "1h" }, () => {
    throw new Error("no");
  });
  await r.engine.start();
  await r.clock.advance(5 * HOUR);
  assertEquals(transitions(r.events), []);
  assertEquals(r.engine.status("plain").state, "failing");
  assertEquals(r.engine.status("plain").grace, null);
  assertEquals(r.engine.state.jobs.get("plain")!.lateness, undefined);
  await r.engine.shutdown();
});

Deno.test("paused jobs are never late; pausing a late job recovers it; a resume starts the watch over", async () => {
  const r = rig();
  r.engine.define("p", { every: "1h", startAt: AT0, grace: "10m" }, () => {
    throw new Error("no");
  });
  await r.engine.start();
  await r.clock.advance(15 * MIN);
  assertEquals(transitions(r.events), ["JOB_LATE@10"]);
  r.engine.pause("p");
  await r.clock.advance(0);
  assertEquals(transitions(r.events), ["JOB_LATE@10", "JOB_RECOVERED@15"]);
  assertEquals(r.of("JOB_RECOVERED")[0].reason, "paused");
  await r.clock.advance(5 * HOUR);
  assertEquals(transitions(r.events).length, 2, "nothing while paused");
  assertEquals(r.engine.status("p").state, "paused");
  r.engine.resume("p"); // at 5h15: the 6h occurrence is the first expected
  await r.clock.advance(54 * MIN);
  assertEquals(transitions(r.events).length, 2);
  await r.clock.advance(1 * MIN); // 6h10
  assertEquals(transitions(r.events), ["JOB_LATE@10", "JOB_RECOVERED@15", "JOB_LATE@370"]);
  await r.engine.shutdown();
});

Deno.test("missed while kron was down: the restart records the lateness the log and the clock say", async () => {
  const r = rig();
  r.engine.define("m", { every: "1h", startAt: AT0, grace: "10m", misfire: "skip" }, () => {});
  await r.engine.start();
  await r.clock.advance(HOUR + 5 * MIN); // 00:00 and 01:00 succeeded
  await r.engine.shutdown();
  r.clock.jump(3 * HOUR); // down from 01:05 to 04:05: 02:00, 03:00 and 04:00 missed
  const e = r.restart();
  e.define("m", { every: "1h", startAt: AT0, grace: "10m", misfire: "skip" }, () => {});
  // Offline, before any runtime: derived from the fold and the time.
  const { state: folded } = await r.store.open();
  await r.store.close();
  const offline = offlineLateness(folded.jobs.get("m")!, r.clock.now())!;
  assertEquals(offline.health, "down");
  assertEquals(toJobStatus(folded.jobs.get("m")!, false, null, offline).state, "down");
  await e.start();
  assertEquals(transitions(r.events), ["JOB_DOWN@245"]);
  assertEquals(r.of("JOB_DOWN")[0].scheduledAt, new Date(T0 + 2 * HOUR).toISOString());
  assertEquals(r.of("JOB_DOWN")[0].lastSuccessAt !== null, true);
  // misfire = skip: nothing runs until 05:00, whose success recovers it.
  await r.clock.advance(HOUR);
  assertEquals(transitions(r.events), ["JOB_DOWN@245", "JOB_RECOVERED@300"]);
  await e.shutdown();
});

Deno.test("one-shots: late after at + grace, down only through down_after, ok once the occurrence succeeds", async () => {
  const r = rig();
  let ok = false;
  r.engine.define("once", { after: "1m", grace: "5m", downAfter: "1h", retries: 1 }, () => {
    if (!ok) throw new Error("no");
  });
  r.engine.define("once2", { after: "1m", grace: "5m" }, () => {
    throw new Error("no");
  });
  await r.engine.start();
  await r.clock.advance(6 * MIN);
  assertEquals(r.engine.status("once").state, "late");
  assertEquals(r.engine.status("once2").state, "late");
  await r.clock.advance(2 * HOUR);
  assertEquals(r.engine.status("once").state, "down");
  assertEquals(r.engine.status("once2").state, "late", "no following occurrence, no down_after");
  // A manual success counts for the latest occurrence due before it: the one-shot's.
  ok = true;
  await r.engine.trigger("once");
  await r.clock.advance(0);
  assertEquals(r.engine.status("once").state, "done");
  await r.engine.shutdown();
});

Deno.test("manual triggers: a success counts for the latest occurrence due at or before its start, a failure for none", async () => {
  const r = rig();
  let fail = true;
  r.engine.define("m", { cron: "0 * * * *", timezone: "UTC", grace: "10m", paused: false }, () => {
    if (fail) throw new Error("no");
  });
  await r.engine.start();
  await r.clock.advance(HOUR + 11 * MIN); // 11:00 failed: late at 11:10
  assertEquals(transitions(r.events), ["JOB_LATE@70"]);
  await r.engine.trigger("m"); // fails: still late
  await r.clock.advance(0);
  assertEquals(r.engine.status("m").state, "late");
  fail = false;
  await r.engine.trigger("m");
  await r.clock.advance(0);
  assertEquals(transitions(r.events), ["JOB_LATE@70", "JOB_RECOVERED@71"]);
  assertEquals(r.engine.status("m").expectedAt?.getTime(), T0 + 2 * HOUR);
  await r.engine.shutdown();
});

Deno.test("a changed grace starts the watch over; removing it forgets lateness", async () => {
  const r = rig();
  const fail = () => {
    throw new Error("no");
  };
  r.engine.define("g", { every: "1h", startAt: AT0, grace: "10m" }, fail);
  await r.engine.start();
  await r.clock.advance(15 * MIN);
  assertEquals(r.engine.status("g").state, "late");
  r.engine.define("g", { every: "1h", startAt: AT0, grace: "20m" }, fail, { replace: true });
  await r.clock.advance(0);
  assertEquals(transitions(r.events), ["JOB_LATE@10", "JOB_RECOVERED@15"]);
  assertEquals(r.of("JOB_RECOVERED")[0].reason, "redefined");
  await r.clock.advance(HOUR + 5 * MIN); // 01:00 fails: late at 01:20
  assertEquals(transitions(r.events), ["JOB_LATE@10", "JOB_RECOVERED@15", "JOB_LATE@80"]);
  r.engine.define("g", { every: "1h" }, fail, { replace: true });
  assertEquals(r.engine.status("g").state, "idle"); // a redefinition resets failures too
  assertEquals(r.engine.state.jobs.get("g")!.lateness, undefined);
  await r.engine.shutdown();
});

Deno.test("watched jobs: kron never runs them; a ping counts for the latest occurrence; start → success has a duration; a failure is late", async () => {
  const r = rig();
  r.engine.define("ext", { every: "1h", startAt: AT0, grace: "10m" }, () => {
    throw new Error("never called");
  }, { kind: "watch" });
  r.engine.define("own", { every: "1h" }, () => {});
  await r.engine.start();
  await assertRejects(() => r.engine.trigger("ext"), (e) => assertMatch(String(e), /watched/));
  await assertRejects(
    () => r.engine.ping("own", { kind: "success" }),
    (e) => assertMatch(String(e), /not watched/),
  );
  // Never queued, yet its next run is the next occurrence a ping is expected for.
  assertEquals(r.engine.status("ext").nextRunAt?.getTime(), T0 + HOUR);
  await r.clock.advance(2 * MIN);
  const started = await r.engine.ping("ext", { kind: "start" });
  assertEquals(r.engine.status("ext").state, "running");
  await r.clock.advance(3 * MIN);
  const ended = await r.engine.ping("ext", { kind: "success" });
  assertEquals(ended, started);
  const run = (await r.engine.history("ext", { limit: 1 }))[0];
  assertEquals(run.trigger, "ping");
  assertEquals(run.durationMs, 3 * MIN);
  assertEquals(run.scheduledAt.getTime(), T0);
  assertEquals(r.of("RUN_STARTED").filter((e) => e.job === "ext").length, 1, "kron ran nothing");
  await r.clock.advance(HOUR + 10 * MIN); // 01:00 not pinged: late at 01:10
  assertEquals(transitions(r.events), ["JOB_LATE@70"]);
  assertEquals(r.engine.status("ext").nextRunAt?.getTime(), T0 + 2 * HOUR);
  await r.engine.ping("ext", { kind: "fail", exitCode: 3 }); // at 01:15
  const failed = (await r.engine.history("ext", { limit: 1 }))[0];
  assertEquals([failed.outcome, failed.exitCode, failed.durationMs], ["failed", 3, null]);
  assertEquals(r.engine.status("ext").state, "late");
  await r.clock.advance(HOUR); // 02:00 not pinged either: down at 02:10
  assertEquals(transitions(r.events), ["JOB_LATE@70", "JOB_DOWN@130"]);
  await r.engine.ping("ext", { kind: "success" });
  assertEquals(transitions(r.events), ["JOB_LATE@70", "JOB_DOWN@130", "JOB_RECOVERED@135"]);
  assertEquals(r.engine.status("ext").state, "idle");
  await r.engine.shutdown();
});

Deno.test("the fold of the log gives the lateness the engine recorded (replay, snapshots)", async () => {
  const r = rig();
  r.engine.define("f", { every: "1h", startAt: AT0, grace: "10m" }, () => {
    throw new Error("no");
  });
  await r.engine.start();
  await r.clock.advance(2 * HOUR);
  await r.engine.shutdown();
  let state = emptyState();
  for (const e of r.events) state = apply(state, e);
  const job = state.jobs.get("f")!;
  assertEquals(job.lateness?.health, "down");
  assertEquals(job.lateness?.scheduledAt, T0);
  const copy = JSON.parse(JSON.stringify(job));
  assertEquals(copy.lateness, job.lateness, "a snapshot keeps it (plain JSON)");
});

Deno.test("a job removed and defined again unchanged (reload) is watched again", async () => {
  const r = rig();
  const fail = () => {
    throw new Error("no");
  };
  const opts = { every: "1h", startAt: AT0, grace: "10m" };
  r.engine.define("w", opts, fail);
  await r.engine.start();
  r.engine.undefine("w"); // orphaned: not watched (its timer at 00:10 finds it undefined)
  await r.clock.advance(15 * MIN);
  assertEquals(transitions(r.events), []);
  r.engine.define("w", opts, fail); // unchanged: no JOB_DEFINED, yet watched again at once
  await r.clock.advance(0);
  assertEquals(transitions(r.events), ["JOB_LATE@15"]);
  await r.engine.shutdown();
});

Deno.test("a restart records nothing for a job already late (once per transition), and a catch-up run's success recovers it", async () => {
  const r = rig();
  let fail = true;
  const opts = { every: "1h", startAt: AT0, grace: "10m", misfire: "run_once" as const };
  const job = () => {
    if (fail) throw new Error("no");
  };
  r.engine.define("c", opts, job);
  await r.engine.start();
  await r.clock.advance(15 * MIN);
  assertEquals(transitions(r.events), ["JOB_LATE@10"]);
  await r.engine.shutdown();
  r.clock.jump(5 * MIN); // back at 00:20, still late: nothing new
  let e = r.restart();
  e.define("c", opts, job);
  await e.start();
  await r.clock.advance(0);
  assertEquals(transitions(r.events), ["JOB_LATE@10"]);
  await e.shutdown();
  // Down through 01:00 and 02:00 missed; kron back at 02:30: down at start, then the catch-up
  // run (misfire run_once: the 02:00 slot) succeeds and recovers it.
  r.clock.jump(2 * HOUR + 10 * MIN);
  fail = false;
  e = r.restart();
  e.define("c", opts, job);
  await e.start();
  await r.clock.advance(1_000);
  assertEquals(transitions(r.events), ["JOB_LATE@10", "JOB_DOWN@150", "JOB_RECOVERED@150"]);
  assertEquals(r.of("RUN_STARTED").at(-1)!.trigger, "catchup");
  await e.shutdown();
});

Deno.test("a job stopped by on_error = stop is still watched (late, then down; state stopped), and a resume starts its watch over", async () => {
  const r = rig();
  r.engine.define(
    "s",
    { every: "1h", startAt: AT0, grace: "10m", onError: "stop", maxFailures: 1 },
    () => {
      throw new Error("no");
    },
  );
  await r.engine.start();
  await r.clock.advance(HOUR + 10 * MIN);
  assertEquals(transitions(r.events), ["JOB_LATE@10", "JOB_DOWN@70"]);
  const st = r.engine.status("s");
  assertEquals([st.state, st.health], ["stopped", "down"]);
  r.engine.resume("s");
  await r.clock.advance(0);
  assertEquals(transitions(r.events), ["JOB_LATE@10", "JOB_DOWN@70", "JOB_RECOVERED@70"]);
  assertEquals(r.of("JOB_RECOVERED")[0].reason, "resumed");
  await r.engine.shutdown();
});
