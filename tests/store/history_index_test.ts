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
    // Deeper than the positions kept: the scan answers, and agrees.
    const deep = await again.history("busy", { limit: 500 });
    assert.equal(deep.length, 500);
    assert.equal(deep[0].id, "r19999");
    assert.ok(wholeFiles > 0, "the scan ran");
  } finally {
    Deno.readFile = readFile;
  }
  await again.close();
  await Deno.remove(dataDir.replace(/\/\.kron$/, ""), { recursive: true });
});
