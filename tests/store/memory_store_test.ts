import assert from "node:assert/strict";
import { apply, type KronEvent, MemoryStore } from "../../src/store/mod.ts";
import { defined, plain, started, stopped, succeeded } from "./_helpers.ts";

Deno.test("memory store: numbers events, shares one promise per tick, replays on reopen", async () => {
  const store = new MemoryStore();
  assert.equal((await store.append(stopped()).catch((e) => e)).code, "not_started");
  const { state } = await store.open();
  const events: KronEvent[] = [defined("a"), started("a", "r1"), succeeded("a", "r1")];
  const ps = events.map((e) => store.append(e));
  assert.ok(ps.every((p) => p === ps[0]));
  await Promise.all(ps);
  for (const e of events) apply(state, e);
  assert.deepEqual(events.map((e) => e.seq), [1, 2, 3]);
  // Stored copies are independent of the caller's objects.
  (events[0] as { job: string }).job = "mutated";
  const again = await store.open();
  assert.equal(again.report.replayed, 3);
  assert.ok(again.state.jobs.has("a"));
  assert.deepEqual(plain(again.state), plain(state));
});

Deno.test("memory store: history, findRun, compaction with the job's history limit", async () => {
  const store = new MemoryStore();
  const { state } = await store.open();
  const emit = async (e: KronEvent) => {
    await store.append(e);
    apply(state, e);
  };
  await emit(defined("a", 3));
  for (let i = 0; i < 6; i++) {
    await emit(started("a", `r${i}`, i));
    await emit(succeeded("a", `r${i}`, i));
  }
  await emit(started("a", "live", 20));
  assert.deepEqual((await store.history("a", { limit: 2 })).map((r) => r.id), ["live", "r5"]);
  assert.equal((await store.findRun("r5"))?.outcome, "succeeded");
  await store.compact(state);
  assert.equal(store.events.length, 0);
  assert.deepEqual((await store.history("a", { limit: 10 })).map((r) => r.id), [
    "live",
    "r5",
    "r4",
  ]);
  assert.equal(await store.findRun("r0"), null);
  const reopened = await store.open();
  assert.deepEqual(plain(reopened.state), plain(state));
  assert.equal(reopened.report.snapshotSeq, state.seq);
  // Returned runs are copies.
  (await store.history("a"))[0].outcome = "dead";
  assert.equal((await store.findRun("live"))?.outcome, null);
});
