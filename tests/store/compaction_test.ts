import assert from "node:assert/strict";
import { apply, FileStore, type KronEvent, type KronState } from "../../src/store/mod.ts";
import {
  defined,
  plain,
  segmentFiles,
  started,
  stopped,
  succeeded,
  tempDataDir,
} from "./_helpers.ts";

async function emit(store: FileStore, state: KronState, events: KronEvent[]) {
  for (const e of events) {
    await store.append(e);
    apply(state, e);
  }
}

function runs(job: string, from: number, to: number): KronEvent[] {
  const out: KronEvent[] = [];
  for (let i = from; i < to; i++) {
    out.push(started(job, `${job}${i}`, i), succeeded(job, `${job}${i}`, i));
  }
  return out;
}

Deno.test("compaction: state round-trips, history within limits kept, beyond dropped", async () => {
  const dataDir = await tempDataDir();
  const store = new FileStore({ dataDir, segmentBytes: 2000 });
  const { state } = await store.open();
  await emit(store, state, [defined("small", 3), defined("big", 200)]);
  await emit(store, state, runs("small", 0, 10));
  await emit(store, state, runs("big", 0, 5));
  await emit(store, state, [started("big", "inflight", 50)]);
  // Before compaction nothing is trimmed.
  assert.equal((await store.history("small", { limit: 100 })).length, 10);
  const before = await Promise.all([
    store.history("small", { limit: 100 }),
    store.history("big", { limit: 100 }),
  ]);
  const segsBefore = await segmentFiles(dataDir);
  assert.ok(segsBefore.length > 2);
  await store.compact(state);
  const report = store.lastCompaction!;
  assert.equal(report.seq, state.seq);
  assert.deepEqual(report.dropped, segsBefore.map((f) => `log/${f}`));
  assert.deepEqual(await segmentFiles(dataDir), [
    String(Number(segsBefore.at(-1)!.slice(0, 6)) + 1).padStart(6, "0") + ".ndjson",
  ]);
  const small = await store.history("small", { limit: 100 });
  assert.deepEqual(small, before[0].slice(0, 3), "3 most recent kept");
  assert.deepEqual(await store.history("big", { limit: 100 }), before[1]);
  assert.equal(await store.findRun("small0"), null, "beyond the limit: dropped");
  assert.equal((await store.findRun("small9"))?.outcome, "succeeded");
  assert.equal((await store.findRun("inflight"))?.outcome, null);

  // After compaction: new events fold onto the snapshot's history (the in-flight run ends).
  await emit(store, state, [succeeded("big", "inflight", 51), ...runs("small", 10, 12)]);
  assert.equal((await store.findRun("inflight"))?.outcome, "succeeded");
  assert.deepEqual(
    (await store.history("small", { limit: 100 })).map((r) => r.id),
    ["small11", "small10", "small9", "small8", "small7"],
  );
  assert.equal((await store.history("big", { limit: 2 }))[0].id, "inflight");
  await store.close();

  const again = new FileStore({ dataDir });
  const r = await again.open();
  assert.deepEqual(plain(r.state), plain(state));
  assert.equal(r.report.snapshotSeq, report.seq);
  assert.equal(r.report.replayed, 5);
  // A second compaction carries history forward and trims again.
  await again.compact(r.state);
  assert.deepEqual(
    (await again.history("small", { limit: 100 })).map((r) => r.id),
    ["small11", "small10", "small9"],
  );
  assert.equal((await again.history("big", { limit: 100 })).length, 6);
  await again.close();
  const third = new FileStore({ dataDir });
  assert.deepEqual(plain((await third.open()).state), plain(state));
  await third.close();
});

Deno.test("compaction: snapshot.json is one jq-readable JSON document", async () => {
  const dataDir = await tempDataDir();
  const store = new FileStore({ dataDir });
  const { state } = await store.open();
  await emit(store, state, [defined("a"), ...runs("a", 0, 3)]);
  await store.compact(state);
  await store.close();
  const doc = JSON.parse(await Deno.readTextFile(`${dataDir}/snapshot.json`));
  assert.equal(doc.format, 1);
  assert.equal(doc.seq, 7);
  assert.equal(doc.state.jobs[0].name, "a");
  assert.equal(doc.history.a.length, 3);
  assert.match(doc.crc, /^[0-9a-f]{8}$/);
});

Deno.test("compaction: history option overrides, removed jobs lose history, state ahead refused", async () => {
  const dataDir = await tempDataDir();
  const store = new FileStore({ dataDir, historyLimit: () => 2 });
  const { state } = await store.open();
  await emit(store, state, [
    defined("a"),
    defined("gone"),
    ...runs("a", 0, 5),
    ...runs("gone", 0, 2),
  ]);
  await emit(store, state, [{ type: "JOB_REMOVED", job: "gone", time: new Date(0).toISOString() }]);
  const ahead = { ...state, seq: state.seq + 5 };
  assert.equal((await store.compact(ahead).catch((e) => e)).code, "invalid_option");
  await store.compact(state);
  assert.equal((await store.history("a", { limit: 10 })).length, 2);
  assert.deepEqual(await store.history("gone"), []);
  await store.close();
});

Deno.test("compaction: events appended while compacting land after the snapshot", async () => {
  const dataDir = await tempDataDir();
  const store = new FileStore({ dataDir });
  const { state } = await store.open();
  await emit(store, state, [defined("a"), ...runs("a", 0, 5)]);
  const snap = structuredClone(state);
  const compaction = store.compact(state);
  const more = [started("a", "late", 99), stopped(100)];
  const appended = Promise.all(more.map((e) => store.append(e)));
  for (const e of more) apply(state, e);
  await Promise.all([compaction, appended]);
  assert.equal(store.lastCompaction!.seq, snap.seq);
  await store.close();
  const again = new FileStore({ dataDir });
  const r = await again.open();
  assert.deepEqual(plain(r.state), plain(state));
  assert.equal(r.report.replayed, 2);
  assert.equal((await again.history("a"))[0].id, "late");
  await again.close();
});

Deno.test("compaction: automatic with getState, or a hook without it", async () => {
  const dataDir = await tempDataDir();
  let live: KronState | null = null;
  const store = new FileStore({
    dataDir,
    compactBytes: 4000,
    segmentBytes: 1000,
    getState: () => live!,
  });
  live = (await store.open()).state;
  await emit(store, live, [defined("a"), ...runs("a", 0, 20)]);
  await store.flush();
  await store.close(); // waits for the running compaction
  assert.ok(store.lastCompaction, "compacted by itself");
  assert.ok((await segmentFiles(dataDir)).length < 8);
  const again = new FileStore({ dataDir });
  assert.deepEqual(plain((await again.open()).state), plain(live));
  await again.close();

  let asked = 0;
  const hooked = new FileStore({
    dataDir: await tempDataDir(),
    compactBytes: 4000, // 10 runs of "a" log ~5 kB
    onCompactNeeded: () => asked++,
  });
  const { state } = await hooked.open();
  await emit(hooked, state, [defined("a"), ...runs("a", 0, 10)]);
  assert.equal(asked, 1, "asked once per threshold crossed");
  await emit(hooked, state, runs("a", 10, 20));
  assert.equal(asked, 2);
  await hooked.compact(state);
  assert.ok(hooked.bytesSinceCompact < 1000);
  await hooked.close();
});

Deno.test("compaction: segments an interrupted compaction left behind are removed on open", async () => {
  const dataDir = await tempDataDir();
  const store = new FileStore({ dataDir, segmentBytes: 1500 });
  const { state } = await store.open();
  await emit(store, state, [defined("a"), ...runs("a", 0, 6)]);
  const files = await segmentFiles(dataDir);
  const saved = await Promise.all(files.map((f) => Deno.readFile(`${dataDir}/log/${f}`)));
  await store.compact(state);
  await emit(store, state, runs("a", 6, 7));
  await store.close();
  // Put the covered segments back, as if the crash came between rename and delete.
  await Promise.all(files.map((f, i) => Deno.writeFile(`${dataDir}/log/${f}`, saved[i])));
  const again = new FileStore({ dataDir, segmentBytes: 1500 });
  const r = await again.open();
  assert.deepEqual(r.report.removedSegments, files.map((f) => `log/${f}`));
  assert.deepEqual(plain(r.state), plain(state));
  assert.equal((await again.history("a", { limit: 100 })).length, 7);
  await again.close();
});
