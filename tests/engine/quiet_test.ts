// Synchronous stretches (a compaction's serialisation of the state) wait for a quiet moment.
import assert from "node:assert/strict";
import { FakeClock } from "../../src/engine/clock.ts";
import { QUIET_WAIT_MAX_MS, quietMoment } from "../../src/engine/quiet.ts";
import { Kron } from "../../src/kron/mod.ts";

const T0 = Date.parse("2026-05-04T09:00:00Z");
const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("quietMoment: at once with nothing due, after the wake-ups within the need", async () => {
  const clock = new FakeClock(T0);
  assert.equal(await quietMoment(clock, () => Infinity, 500), 0);
  assert.equal(await quietMoment(clock, () => T0 + 600, 500), 0);

  // Wake-ups at +100 and +300: a need of 250 ms fits only after the second.
  const wakes = [T0 + 100, T0 + 300];
  const next = () => wakes.find((w) => w >= clock.now()) ?? Infinity;
  let waited: number | null = null;
  quietMoment(clock, next, 250).then((ms) => waited = ms);
  await clock.advance(101);
  await tick();
  assert.equal(waited, null, "a gap of 199 ms is not enough");
  await clock.advance(200);
  await tick();
  assert.equal(waited, 301);
});

Deno.test("quietMoment: gives up after the cap, and when told to stop", async () => {
  const clock = new FakeClock(T0);
  // Something due every millisecond: never quiet.
  let waited: number | null = null;
  quietMoment(clock, () => clock.now() + 1, 50, undefined, 200).then((ms) => waited = ms);
  await clock.advance(190);
  await tick();
  assert.equal(waited, null);
  await clock.advance(10);
  await tick();
  assert.equal(waited, 200);
  assert.ok(QUIET_WAIT_MAX_MS >= 10_000, "the default cap leaves time for a gap to open");

  let stop = false;
  let stopped: number | null = null;
  quietMoment(clock, () => clock.now() + 1, 50, () => stop).then((ms) => stopped = ms);
  await clock.advance(5);
  stop = true;
  await clock.advance(1);
  await tick();
  assert.equal(stopped, 6);
});

Deno.test("a compaction of many jobs waits until the occurrence due next has started", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kron-quiet-" });
  const clock = new FakeClock(T0);
  const k = new Kron({ dataDir: dir, clock, random: () => 0.5 });
  // 400 jobs: the serialisation is expected to take long enough to be worth a quiet moment.
  for (let i = 0; i < 400; i++) k.schedule(`hourly-${i}`, { every: "1h" }, () => {});
  k.schedule("soon", { after: "5s" }, () => {});
  await k.start();
  await clock.advance(4_990); // "soon" is due in 10 ms (recorded ahead already)
  let compacted = false;
  const compaction = k.compact().then(() => compacted = true);
  await new Promise((r) => setTimeout(r, 200)); // real time: a compaction takes a few ms
  assert.equal(compacted, false, "compacted while an occurrence was due within the gap");
  assert.equal(k.status("soon").lastRun, null);
  await clock.advance(20);
  await compaction;
  assert.ok(Deno.statSync(`${dir}/snapshot.json`).isFile);
  assert.equal(k.status("soon").lastRun?.scheduledAt.getTime(), T0 + 5_000);
  await k.shutdown();
  await Deno.remove(dir, { recursive: true });
});
