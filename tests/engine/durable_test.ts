// The engine over the real FileStore: what survives a restart, and compaction round trips.
import assert from "node:assert/strict";
import { Kron } from "../../src/kron/mod.ts";
import { FakeClock } from "../../src/engine/clock.ts";
import type { KronError } from "../../src/errors.ts";

const T0 = Date.parse("2026-05-04T09:00:00Z");

/**
 * Waits (real time) until no run is in flight and, given the clock, none is due and not yet
 * started: an occurrence due exactly at the clock's time starts a turn or an fsync later, and a
 * restart would then run it as a misfire (its run appeared in the restarted engine's history).
 */
async function idle(k: Kron, clock?: FakeClock): Promise<void> {
  const busy = (j: ReturnType<Kron["list"]>[number]) =>
    j.running > 0 ||
    (clock !== undefined && j.state !== "paused" && j.nextRunAt !== null &&
      j.nextRunAt !== undefined && j.nextRunAt.getTime() <= clock.now());
  for (let i = 0; i < 1000 && k.list().some(busy); i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

function kron(dataDir: string, clock: FakeClock): Kron {
  return new Kron({ dataDir, clock, random: () => 0.5 });
}

Deno.test("pause state, one-shot due times and failure counts survive a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kron-durable-" });
  let clock = new FakeClock(T0);
  const a = kron(dir, clock);
  a.schedule("paused", { every: "1m" }, () => {});
  a.schedule("timed", { every: "1m" }, () => {});
  a.schedule("failing", { every: "1m" }, () => {
    throw new Error("down");
  });
  a.schedule("once", { after: "1h" }, () => {});
  await a.start();
  a.pause("paused");
  a.pause("timed", { for: "10m" });
  // The fake clock moves instantly but fsync takes real time: let each minute's runs finish
  // (else the second failure would be an overlap skip).
  for (let minute = 0; minute < 2; minute++) {
    await clock.advance(60_000);
    await idle(a);
  }
  await a.shutdown();

  clock = new FakeClock(clock.now() + 60_000);
  const b = kron(dir, clock);
  b.schedule("paused", { every: "1m" }, () => {});
  b.schedule("timed", { every: "1m" }, () => {});
  b.schedule("failing", { every: "1m" }, () => {});
  b.schedule("once", { after: "1h" }, () => {});
  await b.start();
  assert.equal(b.status("paused").state, "paused");
  assert.equal(b.status("timed").pausedUntil?.getTime(), T0 + 10 * 60_000);
  // a changed definition resets the failure count; here the function changed, not the
  // definition, so the count survives
  assert.equal(b.status("failing").consecutiveFailures, 2);
  assert.equal(b.status("once").nextRunAt?.getTime(), T0 + 3600_000);
  await clock.advance(8 * 60_000);
  // The resumed job's run of the new minute waits for a real fsync: let it finish (under load it
  // was still "running" at the check).
  await idle(b);
  assert.equal(b.status("timed").state, "idle");
  await b.shutdown();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("compaction + restart gives the same state; orphans stay until forgotten", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kron-compact-" });
  let clock = new FakeClock(T0);
  const a = kron(dir, clock);
  let n = 0;
  a.schedule("tick", { every: "1s", retries: 1, retryDelay: "100ms" }, () => {
    if (++n % 3 === 0) throw new Error(`fail ${n}`);
  });
  a.schedule("old", { cron: "*/5 * * * * *" }, () => {});
  await a.start();
  await clock.advance(30_000);
  await idle(a, clock);
  const before = a.list().map((j) => ({ ...j }));
  const historyBefore = await a.history("tick", { limit: 50 });
  await a.compact();
  await a.shutdown();
  const logs = [...Deno.readDirSync(`${dir}/log`)].map((e) => e.name);
  assert.ok(Deno.statSync(`${dir}/snapshot.json`).isFile);

  clock = new FakeClock(clock.now());
  const b = kron(dir, clock);
  b.schedule("tick", { every: "1s", retries: 1, retryDelay: "100ms" }, () => {});
  await b.start();
  const after = b.list();
  const tick = after.find((j) => j.name === "tick")!;
  const tickBefore = before.find((j) => j.name === "tick")!;
  assert.deepEqual(
    { ...tick, nextRunAt: tick.nextRunAt?.getTime() },
    { ...tickBefore, nextRunAt: tickBefore.nextRunAt?.getTime() },
  );
  assert.equal(after.find((j) => j.name === "old")?.state, "orphaned");
  const historyAfter = await b.history("tick", { limit: 50 });
  assert.deepEqual(historyAfter.map((r) => r.id), historyBefore.map((r) => r.id));
  assert.ok(logs.length >= 1);
  b.forget("old");
  assert.throws(() => b.status("old"), (e: KronError) => e.code === "unknown_job");
  await b.shutdown();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a second runtime on the same data dir fails at once, naming the holder's pid", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kron-lock-" });
  const a = new Kron({ dataDir: dir });
  await a.start();
  const b = new Kron({ dataDir: dir });
  await assert.rejects(() => b.start(), (e: KronError) => {
    return e.code === "locked" && e.message.includes(String(Deno.pid)) && e.message.includes(dir);
  });
  await a.shutdown();
  await Deno.remove(dir, { recursive: true });
});
