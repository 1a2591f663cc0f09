// History by index: FileStore.history reads only the records it returns (positions kept per job,
// rebuilt on recovery, trimmed by compaction), and answers exactly what a full fold would.
import assert from "node:assert/strict";
import {
  apply,
  FileStore,
  type KronEvent,
  type KronState,
  MemoryStore,
} from "../../src/store/mod.ts";
import { defined, failed, started, succeeded, tempDataDir } from "./_helpers.ts";
import { SLOTS } from "../../src/store/_run_positions.ts";

const JOBS = ["a", "b", "ünï"];

/** Interleaved runs of several jobs: overlaps, failures with non-ASCII errors, a long run. */
function workload(from: number, to: number): KronEvent[] {
  const out: KronEvent[] = [];
  for (let i = from; i < to; i++) {
    const job = JOBS[i % JOBS.length];
    out.push(started(job, `${job}-${i}`, i));
    if (i % 7 === 3) continue; // ends later (below), after other runs started
    out.push(
      i % 5 === 0 ? failed(job, `${job}-${i}`, i + 1) : succeeded(job, `${job}-${i}`, i + 1),
    );
    if (i % 7 === 4) {
      const late = i - 1;
      out.push(succeeded(JOBS[late % JOBS.length], `${JOBS[late % JOBS.length]}-${late}`, i + 1));
    }
  }
  return out;
}

async function feed(
  stores: { append(e: KronEvent): Promise<void> }[],
  state: KronState,
  events: KronEvent[],
) {
  for (const e of events) {
    for (const s of stores) await s.append(structuredClone(e));
    apply(state, structuredClone(e));
  }
}

async function same(file: FileStore, memory: MemoryStore, what: string) {
  for (const job of JOBS) {
    for (const limit of [1, 5, 20, SLOTS, 200]) {
      assert.deepEqual(
        await file.history(job, { limit }),
        await memory.history(job, { limit }),
        `${what}: ${job} limit ${limit}`,
      );
    }
  }
}

Deno.test("history by index: same answers as a full fold, across segments, compaction and recovery", async () => {
  const dataDir = await tempDataDir();
  const file = new FileStore({ dataDir, segmentBytes: 4000, durability: "none" });
  const memory = new MemoryStore({ historyLimit: () => 1000 });
  const { state } = await file.open();
  await memory.open();
  await feed([file, memory], state, JOBS.map((j) => defined(j, 1000)));
  await feed([file, memory], state, workload(0, 150));
  await same(file, memory, "live log");
  await file.compact(state);
  await same(file, memory, "after compaction");
  await feed([file, memory], state, workload(150, 190));
  await same(file, memory, "snapshot + live log");
  await file.close();

  const again = new FileStore({ dataDir, segmentBytes: 4000, durability: "none" });
  await again.open();
  await same(again, memory, "after recovery");
  await again.close();
  await Deno.remove(dataDir.replace(/\/\.kron$/, ""), { recursive: true });
});

Deno.test("history by index: a query reads its records, not the log", async () => {
  const dataDir = await tempDataDir();
  const file = new FileStore({ dataDir, durability: "none" });
  const { state } = await file.open();
  const events: KronEvent[] = [defined("x", 1000), defined("busy", 1000)];
  for (let i = 0; i < 20_000; i++) {
    const job = i % 100 === 0 ? "x" : "busy";
    events.push(started(job, `r${i}`, i), succeeded(job, `r${i}`, i + 1));
  }
  await feed([file], state, events);
  await file.close();
  const again = new FileStore({ dataDir, durability: "none" });
  await again.open(); // the positions are rebuilt from the log
  const readFile = Deno.readFile;
  let wholeFiles = 0;
  Deno.readFile = ((...args: Parameters<typeof readFile>) => {
    wholeFiles++;
    return readFile(...args);
  }) as typeof readFile;
  try {
    const runs = await again.history("x", { limit: 20 });
    assert.deepEqual(
      runs.map((r) => r.id),
      Array.from({ length: 20 }, (_, k) => `r${19_900 - k * 100}`),
    );
    assert.equal(wholeFiles, 0, "no segment read whole");
    // Deeper than the ring of positions kept: the records' links answer, still no scan.
    const deep = await again.history("busy", { limit: 500 });
    const want: string[] = [];
    for (let i = 19_999; want.length < 500; i--) if (i % 100 !== 0) want.push(`r${i}`);
    assert.deepEqual(deep.map((r) => r.id), want);
    assert.ok(deep.every((r) => r.outcome === "succeeded"));
    assert.equal(wholeFiles, 0, "no segment read whole");
  } finally {
    Deno.readFile = readFile;
  }
  await again.close();
  await Deno.remove(dataDir.replace(/\/\.kron$/, ""), { recursive: true });
});

/**
 * Runs of each job that overlap: each starts before the previous one ends, so a page that ends
 * at a start has met the end of an older run (handed on in its cursor).
 */
function overlapping(from: number, n: number): KronEvent[] {
  const out: KronEvent[] = [];
  for (const job of JOBS) {
    for (let i = from; i < from + n; i++) {
      out.push(started(job, `${job}-${i}`, i));
      if (i > from) out.push(failed(job, `${job}-${i - 1}`, i));
    }
    out.push(succeeded(job, `${job}-${from + n - 1}`, from + n));
  }
  return out;
}

/** Every run of `job`, by pages of `limit` through the cursors handed out. */
async function allPages(
  store: FileStore,
  job: string,
  limit: number,
  between?: () => Promise<void>,
) {
  const out: string[] = [];
  let before: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const p = await store.historyPage(job, before === undefined ? { limit } : { limit, before });
    assert.ok(p.runs.length <= limit);
    if (p.next !== null) assert.equal(p.runs.length, limit, "only a full page has a next");
    out.push(...p.runs.map((r) => `${r.id}:${r.outcome}`));
    if (p.next === null) return out;
    before = p.next;
    if (page === 0) await between?.();
  }
  throw new Error("paging did not end");
}

async function samePages(file: FileStore, memory: MemoryStore, what: string) {
  for (const job of JOBS) {
    const all = (await memory.history(job, { limit: 100_000 })).map((r) => `${r.id}:${r.outcome}`);
    for (const limit of [1, 3, 7, 20]) {
      assert.deepEqual(await allPages(file, job, limit), all, `${what}: ${job} by ${limit}`);
    }
    // A run id as the cursor: the runs started before it.
    const mid = (await memory.history(job, { limit: 100_000 }))[17].id;
    assert.deepEqual(
      (await file.historyPage(job, { limit: 9, before: mid })).runs,
      (await memory.historyPage(job, { limit: 9, before: mid })).runs,
      `${what}: ${job} before ${mid}`,
    );
  }
}

Deno.test("history by cursor: pages walk back through the live log, the snapshot, a restart and a compaction between pages", async () => {
  const dataDir = await tempDataDir();
  const file = new FileStore({ dataDir, segmentBytes: 4000, durability: "none" });
  const memory = new MemoryStore({ historyLimit: () => 1000 });
  const { state } = await file.open();
  await memory.open();
  await feed([file, memory], state, JOBS.map((j) => defined(j, 1000)));
  await feed([file, memory], state, workload(0, 150));
  await feed([file, memory], state, overlapping(1000, 12));
  await samePages(file, memory, "live log");
  await file.compact(state);
  await samePages(file, memory, "after compaction");
  await feed([file, memory], state, workload(150, 300));
  await samePages(file, memory, "snapshot + live log");
  // A compaction between two pages: the cursor's positions are gone, the snapshot has the runs.
  const all = (await memory.history("a", { limit: 100_000 })).map((r) => `${r.id}:${r.outcome}`);
  assert.deepEqual(
    await allPages(file, "a", 7, () => file.compact(state)),
    all,
    "compacted between",
  );
  await feed([file, memory], state, workload(300, 360));
  await file.close();

  const again = new FileStore({ dataDir, segmentBytes: 4000, durability: "none" });
  await again.open();
  await samePages(again, memory, "after recovery");
  await again.close();
  await Deno.remove(dataDir.replace(/\/\.kron$/, ""), { recursive: true });
});

Deno.test("history by cursor: a bad cursor is an empty page, an unknown old run id pages by time", async () => {
  const dataDir = await tempDataDir();
  const file = new FileStore({ dataDir, durability: "none" });
  const { state } = await file.open();
  await feed([file], state, [defined("a", 1000), ...workload(0, 30)]);
  assert.deepEqual(await file.historyPage("a", { before: "../x" }), { runs: [], next: null });
  const page = await file.historyPage("a", { limit: 3 });
  assert.equal(page.runs.length, 3);
  assert.match(page.next!, /^a-\d+~/);
  await file.close();
  await Deno.remove(dataDir.replace(/\/\.kron$/, ""), { recursive: true });
});
