// Regression (torture disk_full): when an append failed (disk full), the engine had already
// folded the lost RUN_STARTED into its state, so the job stayed "running" forever and, under
// overlap = "skip", never fired again even after space came back; later events reused the lost
// seqs while the state kept their effects (a snapshot of it would be wrong). Now the engine
// holds events while the log cannot be written, starts nothing, writes them again in order once
// it can, records the lost starts abandoned and re-runs them, and resumes scheduling.
import assert from "node:assert/strict";
import { Engine } from "../../src/engine/engine.ts";
import { FakeClock, settle } from "../../src/engine/clock.ts";
import { FileStore, type LogFile } from "../../src/store/file_store.ts";
import { readDataDir } from "../../src/store/mod.ts";
import type { KronState } from "../../src/store/state.ts";

function key(state: KronState): string {
  const jobs = [...state.jobs.values()].sort((a, b) => a.name < b.name ? -1 : 1);
  return JSON.stringify({ seq: state.seq, jobs });
}

Deno.test("disk full: nothing starts, nothing sticks, the log stays the truth, scheduling resumes", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kron-full-" });
  let full = false;
  const enospc = () => Promise.reject(new Error("No space left on device (os error 28)"));
  const store = new FileStore({
    dataDir,
    durability: "none",
    wrapFile: (f: LogFile): LogFile => ({
      write: (p) => full ? enospc() : f.write(p),
      syncData: () => f.syncData(),
      truncate: (n) => f.truncate(n),
      close: () => f.close(),
    }),
  });
  const clock = new FakeClock("2026-06-01T10:00:00Z");
  const engine = new Engine({ store, clock, random: () => 0.5 });
  const ran: string[] = [];
  for (const name of ["a", "b", "c"]) {
    engine.define(name, { every: "1s", retries: name === "c" ? 2 : 0 }, (ctx) => {
      ran.push(ctx.runId);
      if (name === "c") throw new Error("c fails");
    });
  }
  const step = async (ms: number) => {
    await clock.advance(ms);
    await store.flush();
    await settle();
  };
  await engine.start();
  await step(3000);
  assert.ok(ran.length >= 6);

  full = true;
  await step(1000);
  assert.match(engine.ioError?.message ?? "", /No space left/);
  const before = ran.length;
  await step(5000);
  assert.equal(ran.length, before, "a run started while the log could not be written");
  await assert.rejects(engine.trigger("a"), (e: Error & { code?: string }) => e.code === "io");
  await assert.rejects(engine.compact(), (e: Error & { code?: string }) => e.code === "io");

  full = false;
  await step(1500);
  assert.equal(engine.ioError, null);
  const resumed = ran.length;
  await step(3000);
  assert.ok(ran.length >= resumed + 6, `scheduling did not resume (${ran.length - resumed} runs)`);
  for (const name of ["a", "b"]) assert.notEqual(engine.status(name).state, "running");

  // The log holds exactly what the engine folded: same state, no seq gap.
  await store.flush();
  const view = await readDataDir(dataDir);
  assert.equal(key(view.state), key(engine.state));
  await engine.shutdown({ timeout: "1s" });
  const after = await readDataDir(dataDir);
  const open = [...after.state.jobs.values()].flatMap((j) => j.inFlight);
  assert.deepEqual(open, []);
  // Every run that ran has a durable RUN_STARTED.
  for (const id of ran) assert.ok(await after.findRun(id), `run ${id} ran without a RUN_STARTED`);
  await Deno.remove(dataDir, { recursive: true });
});
