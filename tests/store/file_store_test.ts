import assert from "node:assert/strict";
import {
  apply,
  emptyState,
  FileStore,
  type KronEvent,
  type LogFile,
  resolveDataDir,
} from "../../src/store/mod.ts";
import { KronError } from "../../src/errors.ts";
import {
  defined,
  failed,
  plain,
  segmentFiles,
  started,
  stopped,
  succeeded,
  tempDataDir,
} from "./_helpers.ts";

function fold(events: KronEvent[]) {
  const s = emptyState();
  for (const e of events) apply(s, e);
  return s;
}

Deno.test("file store: append, close, reopen replays the same state", async () => {
  const dataDir = await tempDataDir();
  const store = new FileStore({ dataDir });
  const { state, report } = await store.open();
  assert.deepEqual([report.snapshotSeq, report.replayed, report.truncated], [0, 0, null]);
  const events: KronEvent[] = [
    defined("a"),
    started("a", "r1"),
    failed("a", "r1"),
    started("a", "r2", 3),
    stopped(4),
  ];
  for (const e of events) {
    await store.append(e);
    apply(state, e);
  }
  assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 4, 5]);
  await store.close();

  const again = new FileStore({ dataDir });
  const r = await again.open();
  assert.deepEqual(plain(r.state), plain(state));
  assert.deepEqual([r.report.replayed, r.report.lastSeq, r.report.truncated], [5, 5, null]);
  const e6 = started("a", "r3", 9);
  await again.append(e6);
  assert.equal(e6.seq, 6);
  const runs = await again.history("a");
  assert.deepEqual(runs.map((x) => [x.id, x.outcome]), [["r3", null], ["r2", null], [
    "r1",
    "failed",
  ]]);
  assert.equal((await again.findRun("r1"))?.error, (failed("a", "r1") as { error: string }).error);
  assert.equal(await again.findRun("nope"), null);
  await again.close();
});

Deno.test("file store: layout, FORMAT, 0700 data dir, LOCK holds our pid", async () => {
  const dataDir = await tempDataDir();
  const store = new FileStore({ dataDir });
  await store.open();
  assert.equal((await Deno.stat(dataDir)).mode! & 0o777, 0o700);
  assert.equal(await Deno.readTextFile(`${dataDir}/FORMAT`), "1\n");
  assert.equal(parseInt(await Deno.readTextFile(`${dataDir}/LOCK`)), Deno.pid);
  assert.deepEqual(await segmentFiles(dataDir), ["000001.ndjson"]);
  await store.append(stopped());
  const line = (await Deno.readTextFile(`${dataDir}/log/000001.ndjson`)).trim();
  assert.match(
    line,
    /^\{"seq":1,"time":"2025-01-01T00:00:00.000Z","type":"RUNTIME_STOPPED","crc":"[0-9a-f]{8}"\}$/,
  );
  await store.close();
});

Deno.test("file store: unknown FORMAT is refused naming the file and the versions read", async () => {
  const dataDir = await tempDataDir();
  await Deno.mkdir(dataDir, { recursive: true });
  await Deno.writeTextFile(`${dataDir}/FORMAT`, "2\n");
  const err = await new FileStore({ dataDir }).open().catch((e) => e);
  assert.ok(err instanceof KronError);
  assert.equal(err.code, "unknown_format");
  assert.match(err.message, /\/\.kron\/FORMAT says format "2".*reads only format 1/);
  // The lock was released: fixing FORMAT makes the store open.
  await Deno.writeTextFile(`${dataDir}/FORMAT`, "1\n");
  const s = new FileStore({ dataDir });
  await s.open();
  await s.close();
  // A log without FORMAT is not silently adopted.
  await Deno.remove(`${dataDir}/FORMAT`);
  const e2 = await new FileStore({ dataDir }).open().catch((e) => e);
  assert.equal(e2.code, "unknown_format");
});

Deno.test("file store: a second writer in the same process fails at once", async () => {
  const dataDir = await tempDataDir();
  const a = new FileStore({ dataDir });
  await a.open();
  const err = await new FileStore({ dataDir }).open().catch((e) => e);
  assert.equal(err.code, "locked");
  assert.match(err.message, new RegExp(`is locked by pid ${Deno.pid} \\(another kron runtime`));
  await a.close();
  const b = new FileStore({ dataDir });
  await b.open(); // released by close
  await b.close();
});

/** Wraps segment files to count and slow down operations. */
function counting(opts: { syncDelayMs?: number } = {}) {
  const counts = { writes: 0, syncs: 0 };
  const wrap = (file: LogFile): LogFile => ({
    write: (p) => {
      counts.writes++;
      return file.write(p);
    },
    syncData: async () => {
      counts.syncs++;
      if (opts.syncDelayMs) await new Promise((r) => setTimeout(r, opts.syncDelayMs));
      return file.syncData();
    },
    truncate: (n) => file.truncate(n),
    close: () => file.close(),
  });
  return { counts, wrap };
}

Deno.test("group commit: appends of one tick share one write, one fsync and one promise", async () => {
  const dataDir = await tempDataDir();
  const { counts, wrap } = counting();
  const store = new FileStore({ dataDir, wrapFile: wrap });
  await store.open();
  const promises: Promise<void>[] = [];
  for (let i = 0; i < 500; i++) promises.push(store.append(started("a", `r${i}`)));
  assert.ok(promises.every((p) => p === promises[0]), "one shared promise");
  await Promise.all(promises);
  assert.deepEqual(counts, { writes: 1, syncs: 1 });
  assert.equal(store.stats.batches, 1);
  assert.equal(store.stats.maxBatch, 500);
  await store.close();
});

Deno.test("group commit: appends during a flush gather into the next batch (pipelining)", async () => {
  const dataDir = await tempDataDir();
  const { counts, wrap } = counting({ syncDelayMs: 40 });
  const store = new FileStore({ dataDir, wrapFile: wrap });
  await store.open();
  const first = store.append(stopped());
  const later: Promise<void>[] = [];
  // Several separate macrotask turns while the first batch's fsync is in flight.
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 3));
    later.push(store.append(stopped()));
  }
  await Promise.all([first, ...later]);
  assert.deepEqual(counts, { writes: 2, syncs: 2 });
  assert.ok(later.every((p) => p === later[0]));
  await store.close();
});

Deno.test("durability none: no fsync; batch: at most one flush per batchMs", async () => {
  const none = counting();
  const s1 = new FileStore({
    dataDir: await tempDataDir(),
    durability: "none",
    wrapFile: none.wrap,
  });
  await s1.open();
  for (let i = 0; i < 5; i++) await s1.append(stopped());
  assert.deepEqual(none.counts, { writes: 5, syncs: 0 });
  await s1.close();

  const batch = counting();
  const s2 = new FileStore({
    dataDir: await tempDataDir(),
    durability: "batch",
    batchMs: 100,
    wrapFile: batch.wrap,
  });
  await s2.open();
  await s2.append(stopped()); // first flush goes at once
  const t0 = performance.now();
  const ps: Promise<void>[] = [];
  for (let i = 0; i < 5; i++) {
    ps.push(s2.append(stopped()));
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(ps);
  assert.ok(performance.now() - t0 >= 50, "waited for the batch window");
  assert.deepEqual(batch.counts, { writes: 2, syncs: 2 });
  await s2.close();
});

Deno.test("segments roll by size; seq stays contiguous across them", async () => {
  const dataDir = await tempDataDir();
  const store = new FileStore({ dataDir, segmentBytes: 1000 });
  const { state } = await store.open();
  const events: KronEvent[] = [defined("a")];
  for (let i = 0; i < 30; i++) events.push(started("a", `r${i}`, i), succeeded("a", `r${i}`, i));
  for (const e of events) {
    await store.append(e);
    apply(state, e);
  }
  await store.close();
  const files = await segmentFiles(dataDir);
  assert.ok(files.length > 5, `rolled: ${files}`);
  assert.deepEqual(files, files.map((_, i) => `${String(i + 1).padStart(6, "0")}.ndjson`));
  let expect = 1;
  for (const f of files) {
    const text = await Deno.readTextFile(`${dataDir}/log/${f}`);
    // JOB_DEFINED alone is > 1000 bytes; every other segment stays within the limit.
    if (expect > 1) assert.ok(new TextEncoder().encode(text).length <= 1000);
    for (const line of text.trim().split("\n")) assert.equal(JSON.parse(line).seq, expect++);
  }
  const again = new FileStore({ dataDir, segmentBytes: 1000 });
  const r = await again.open();
  assert.deepEqual(plain(r.state), plain(state));
  assert.deepEqual(plain(r.state), plain(fold(events)));
  assert.equal((await again.history("a", { limit: 100 })).length, 30);
  await again.close();
});

/** A file wrapper whose next write writes `partial` bytes then fails like a full disk. */
function faulty() {
  const fault: { write: number | null; sync: boolean; delayMs: number } = {
    write: null,
    sync: false,
    delayMs: 0,
  };
  const wrap = (file: LogFile): LogFile => ({
    async write(p) {
      if (fault.write !== null) {
        const n = fault.write;
        fault.write = null;
        if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
        if (n > 0) await file.write(p.subarray(0, n));
        throw Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
      }
      return file.write(p);
    },
    syncData() {
      if (fault.sync) {
        fault.sync = false;
        return Promise.reject(new Error("Input/output error (os error 5)"));
      }
      return file.syncData();
    },
    truncate: (n) => file.truncate(n),
    close: () => file.close(),
  });
  return { fault, wrap };
}

Deno.test("write failure (ENOSPC, partial write): rejects with io, log stays valid, appends resume", async () => {
  const dataDir = await tempDataDir();
  const { fault, wrap } = faulty();
  const store = new FileStore({ dataDir, wrapFile: wrap });
  const { state } = await store.open();
  const ok1 = [defined("a"), started("a", "r1")];
  for (const e of ok1) {
    await store.append(e);
    apply(state, e);
  }
  const sizeBefore = (await Deno.stat(`${dataDir}/log/000001.ndjson`)).size;
  fault.write = 37; // a torn write: 37 bytes reach the file, then ENOSPC
  const bad = [succeeded("a", "r1"), started("a", "r2")];
  const err = await Promise.all(bad.map((e) => store.append(e))).catch((e) => e);
  assert.ok(err instanceof KronError, String(err));
  assert.equal(err.code, "io");
  assert.match(err.message, /No space left/);
  assert.equal(
    (await Deno.stat(`${dataDir}/log/000001.ndjson`)).size,
    sizeBefore,
    "partial write cut",
  );
  // An fsync failure is handled the same way.
  fault.sync = true;
  assert.equal((await store.append(stopped()).catch((e) => e)).code, "io");
  assert.equal((await Deno.stat(`${dataDir}/log/000001.ndjson`)).size, sizeBefore);
  // Space is back: the next appends take the failed ones' numbers, so the log has no gap.
  const ok2 = [succeeded("a", "r1", 5), stopped(6)];
  for (const e of ok2) {
    await store.append(e);
    apply(state, e);
  }
  assert.deepEqual(ok2.map((e) => e.seq), [3, 4]);
  assert.equal(store.stats.failures, 2);
  await store.close();
  const again = new FileStore({ dataDir });
  const r = await again.open();
  assert.equal(r.report.truncated, null);
  assert.equal(r.report.lastSeq, 4);
  assert.deepEqual(plain(r.state), plain(state));
  await again.close();
});

Deno.test("write failure also fails appends queued behind it, not later ones", async () => {
  const dataDir = await tempDataDir();
  const { fault, wrap } = faulty();
  const store = new FileStore({ dataDir, wrapFile: wrap });
  await store.open();
  await store.append(stopped());
  fault.write = 0;
  fault.delayMs = 30;
  const first = store.append(stopped()); // seq 2, its flush will fail
  await new Promise((r) => setTimeout(r, 5)); // the flush is in its (slow, failing) write
  const queued = store.append(stopped()); // seq 3: numbered after the failing batch
  assert.notEqual(first, queued);
  assert.equal((await first.catch((e) => e)).code, "io");
  assert.equal((await queued.catch((e) => e)).code, "io");
  const e = stopped();
  await store.append(e);
  assert.equal(e.seq, 2);
  await store.close();
  const again = new FileStore({ dataDir });
  assert.equal((await again.open()).report.lastSeq, 2);
  await again.close();
});

Deno.test("append before open, after close, and unserialisable events reject", async () => {
  const store = new FileStore({ dataDir: await tempDataDir() });
  assert.equal((await store.append(stopped()).catch((e) => e)).code, "not_started");
  await store.open();
  const bad = { ...stopped(), extra: 1n } as unknown as KronEvent;
  assert.ok((await store.append(bad).catch((e) => e)) instanceof TypeError);
  const e = stopped();
  await store.append(e);
  assert.equal(e.seq, 1, "a rejected event does not consume a seq");
  await store.close();
  assert.equal((await store.append(stopped()).catch((e) => e)).code, "not_started");
});

Deno.test("resolveDataDir: option, then KRON_DATA_DIR, then .kron", () => {
  const old = Deno.env.get("KRON_DATA_DIR");
  try {
    Deno.env.delete("KRON_DATA_DIR");
    assert.equal(resolveDataDir(), ".kron");
    Deno.env.set("KRON_DATA_DIR", "/srv/kron");
    assert.equal(resolveDataDir(), "/srv/kron");
    assert.equal(resolveDataDir("./mine"), "./mine");
  } finally {
    if (old === undefined) Deno.env.delete("KRON_DATA_DIR");
    else Deno.env.set("KRON_DATA_DIR", old);
  }
});

Deno.test("defaults apply when options are explicitly undefined (16 MiB segments)", async () => {
  const dataDir = await tempDataDir();
  const store = new FileStore({ dataDir, durability: "none", segmentBytes: undefined });
  await store.open();
  const big = "x".repeat(1 << 20);
  for (let i = 0; i < 17; i++) {
    const e = defined(`j${i}`);
    e.def.description = big;
    await store.append(e);
  }
  await store.close();
  const files = await segmentFiles(dataDir);
  assert.equal(files.length, 2);
  assert.ok((await Deno.stat(`${dataDir}/log/${files[0]}`)).size <= 16 * 1024 * 1024);
});
